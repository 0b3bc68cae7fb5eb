#!/usr/bin/env python3
"""Writes small vocab-only GGUF files for tests/src/test_tokenizer.cpp.

    tokenizer_make_vocab.py <out_dir> [<training text>]

Byte-level BPE: trains a 1,500-token byte-level BPE with the `tokenizers` library on the text (default
/usr/share/common-licenses/GPL-3) using the Llama 3 pre-tokenizer regex, adds Llama 3 style special tokens
(control) and <think>/</think> (user-defined), and writes it three times, differing only in
tokenizer.ggml.pre: bpe-llama3.gguf ("llama-bpe"), bpe-qwen2.gguf ("qwen2"), bpe-gpt2.gguf ("gpt2").
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


if __name__ == "__main__":
    main()
