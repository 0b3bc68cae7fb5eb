// A Hugging Face checkpoint's tokenizer as GGUF metadata: the "tokenizer.ggml.*" keys (and
// "tokenizer.chat_template") that llama.cpp's convert_hf_to_gguf.py writes for the same folder, so that
// giraffe's Tokenizer::from_gguf and llama.cpp both tokenize like the checkpoint's own tokenizer.
//
// Sources, in the converter's order of preference per architecture:
//   - tokenizer.json with a BPE model (byte-level: GPT-2 / Llama 3 / Qwen 2): vocab, merges, added tokens
//     with their special flag, the pre-tokenizer recognised as one giraffe implements (tokenizer.ggml.pre:
//     "gpt2", "llama-bpe", "qwen2", ...), else a clear error naming what was found;
//   - tokenizer.model (SentencePiece protobuf, read by hand): pieces, scores, types (Llama 2, Mistral,
//     Gemma), plus the added tokens of tokenizer.json / added_tokens.json;
//   - tokenizer_config.json and special_tokens_map.json: BOS / EOS / UNK / PAD ids, add_bos / add_eos,
//     chat_template; generation_config.json / config.json eos and bos ids where the converter reads them.
#pragma once

#include <string>

#include "convert/error.h"
#include "ggml/gguf.h"

namespace giraffe::convert {

// Which vocabulary the architecture expects: "llama" (SentencePiece) or "gpt2" (byte-level BPE), as
// convert_hf_to_gguf.py decides for the architecture (Llama: SPM when tokenizer.model exists, else BPE;
// Qwen 2: BPE; Gemma 3: SPM; Phi-3: SPM).
enum class VocabKind { Spm, Bpe };

// Sets the tokenizer keys on w. arch is the GGUF architecture name ("llama", "qwen2", "gemma3", "phi3");
// n_vocab is the model's vocab_size from config.json (SentencePiece vocabularies shorter than it are padded
// with "[PAD<i>]" tokens of type Unused, as the Python converter does). Throws ConvertError.
void add_tokenizer_metadata(const std::string& dir, const std::string& arch, VocabKind kind, int64_t n_vocab,
                            ggml::GgufWriter& w);

}  // namespace giraffe::convert
