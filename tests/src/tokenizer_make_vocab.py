#!/usr/bin/env python3
"""Writes small vocab-only GGUF files for tests/src/test_tokenizer.cpp.

    tokenizer_make_vocab.py <out_dir> [<training text>]

Byte-level BPE: trains a 1,500-token byte-level BPE with the `tokenizers` library on the text (default
/usr/share/common-licenses/GPL-3) using the Llama 3 pre-tokenizer regex, adds Llama 3 style special tokens
(control) and <think>/</think> (user-defined), and writes it three times, differing only in
tokenizer.ggml.pre: bpe-llama3.gguf ("llama-bpe"), bpe-qwen2.gguf ("qwen2"), bpe-gpt2.gguf ("gpt2").

SentencePiece: trains a 1,000-piece BPE model with byte fallback with the `sentencepiece` library on the
same text and writes it as spm-llama.gguf (architecture llama, no add_space_prefix key, so the default
prefix space applies), as llama.cpp's converter does for Llama 2 style models.
"""
import json
import os
import sys

import gguf
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

LLAMA3 = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
          r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")
CONTROL = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
USER_DEFINED = ["<think>", "</think>"]


def train_bpe(text):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    trainer = trainers.BpeTrainer(vocab_size=1500, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(text.splitlines(keepends=True), trainer)
    model = json.loads(tok.to_str())["model"]
    vocab = sorted(model["vocab"].items(), key=lambda kv: kv[1])
    tokens = [t for t, _ in vocab]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    return tokens, merges


def write_bpe(path, pre, tokens, types, merges):
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_context_length(2048)
    w.add_embedding_length(64)
    w.add_block_count(1)
    w.add_feed_forward_length(128)
    w.add_head_count(4)
    w.add_head_count_kv(4)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(len(tokens))
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(tokens.index("<|begin_of_text|>"))
    w.add_eos_token_id(tokens.index("<|end_of_text|>"))
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_spm(path, text, tmp_dir):
    import sentencepiece as spm

    prefix = os.path.join(tmp_dir, "spm")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(text.splitlines()), model_prefix=prefix, model_type="bpe", vocab_size=1000,
        byte_fallback=True, character_coverage=1.0, user_defined_symbols=["<think>", "</think>"],
        control_symbols=["<|eot_id|>"], split_digits=True, remove_extra_whitespaces=False,
        normalization_rule_name="identity", minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    n = sp.get_piece_size()
    tokens = [sp.id_to_piece(i) for i in range(n)]
    scores = [sp.get_score(i) for i in range(n)]
    types = []
    for i in range(n):
        if sp.is_unknown(i):
            types.append(gguf.TokenType.UNKNOWN)
        elif sp.is_control(i):
            types.append(gguf.TokenType.CONTROL)
        elif sp.is_byte(i):
            types.append(gguf.TokenType.BYTE)
        elif sp.is_unused(i):
            types.append(gguf.TokenType.UNUSED)
        elif tokens[i] in ("<think>", "</think>"):
            types.append(gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_context_length(2048)
    w.add_embedding_length(64)
    w.add_block_count(1)
    w.add_feed_forward_length(128)
    w.add_head_count(4)
    w.add_head_count_kv(4)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(sp.bos_id())
    w.add_eos_token_id(sp.eos_id())
    w.add_unk_token_id(sp.unk_id())
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    src = sys.argv[2] if len(sys.argv) == 3 else "/usr/share/common-licenses/GPL-3"
    with open(src, encoding="utf-8") as f:
        text = f.read()
    os.makedirs(out_dir, exist_ok=True)

    tokens, merges = train_bpe(text)
    types = [gguf.TokenType.NORMAL] * len(tokens)
    for t in CONTROL:
        tokens.append(t)
        types.append(gguf.TokenType.CONTROL)
    for t in USER_DEFINED:
        tokens.append(t)
        types.append(gguf.TokenType.USER_DEFINED)
    for name, pre in (("bpe-llama3", "llama-bpe"), ("bpe-qwen2", "qwen2"), ("bpe-gpt2", "gpt2")):
        write_bpe(os.path.join(out_dir, name + ".gguf"), pre, tokens, types, merges)
    write_spm(os.path.join(out_dir, "spm-llama.gguf"), text, out_dir)


if __name__ == "__main__":
    main()
