#!/usr/bin/env python3
"""Writes random-weight Hugging Face checkpoints for tests/convert/test_convert_models.cpp (no torch).

    hf_checkpoint_make.py OUT_DIR              the test checkpoints below
    hf_checkpoint_make.py OUT_DIR --tinyllama  OUT_DIR/tinyllama: TinyLlama 1.1B's shape, BF16 (2.2 GB),
                                               for timing `giraffe convert` against convert_hf_to_gguf.py

Each folder holds config.json (as transformers writes it for the model class), the weights as
safetensors (safetensors.numpy; BF16 as raw bits through the library's serialize_file, numpy having no
bfloat16) and a SentencePiece tokenizer (tests/convert/hf_tokenizer_make.py's spm-llama: tokenizer.model
+ tokenizer_config.json), the one tokenizer kind the Python converter takes for every architecture here
without a known pre-tokenizer hash.

  llama         LlamaForCausalLM, F32, GQA, rows of 256 (K-quant blocks), untied
  llama-bf16    LlamaForCausalLM, BF16, tied embeddings, two shards + index, Llama 3 RoPE scaling
  llama-linear  LlamaForCausalLM, F16, linear RoPE scaling, attention biases (permuted like Q/K)
  mistral-yarn  MistralForCausalLM, F16, head_dim 32 != hidden / heads, YaRN RoPE scaling
  qwen2         Qwen2ForCausalLM, F32, Q/K/V biases, tied embeddings
  gemma3        Gemma3ForCausalLM, BF16, tied, 6 layers (5 sliding + 1 global), sliding window 8
  gemma3-f16    Gemma3ForCausalLM, F16 (its norms' +1 is rounded to float16, as torch adds)
  phi3          Phi3ForCausalLM, F32, fused QKV and gate/up, LongRoPE short/long factors, padded vocab
  bad-*         broken copies of llama-linear: bad-no-config (no config.json), bad-arch (GPT2LMHeadModel),
                bad-missing (a tensor left out), bad-shape (config.json's intermediate_size off by 8),
                bad-type (num_attention_heads a string), bad-heads (4 heads over 3 KV heads)
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np
from safetensors import TensorSpec, serialize_file
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hf_tokenizer_make  # noqa: E402  (the tokenizer folders of the tokenizer tests)


def bf16_bits(x):
    """bfloat16 bits of float32 values, rounded to nearest even."""
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def save(path, tensors, dtype):
    """tensors: name -> float32 array; written as dtype ("F32", "F16", "BF16")."""
    if dtype == "BF16":
        arrays = {k: np.ascontiguousarray(bf16_bits(v)) for k, v in tensors.items()}
        specs = {k: TensorSpec(dtype="bfloat16", shape=list(a.shape), data_ptr=a.ctypes.data, data_len=a.nbytes)
                 for k, a in arrays.items()}
        serialize_file(specs, path, metadata={"format": "pt"})
    else:
        np_type = np.float32 if dtype == "F32" else np.float16
        save_file({k: np.ascontiguousarray(v.astype(np_type)) for k, v in tensors.items()}, path,
                  metadata={"format": "pt"})


def save_sharded(folder, tensors, dtype, n_shards):
    names = sorted(tensors)
    weight_map = {}
    for s in range(n_shards):
        file = f"model-{s + 1:05d}-of-{n_shards:05d}.safetensors"
        part = {n: tensors[n] for n in names[s::n_shards]}
        save(os.path.join(folder, file), part, dtype)
        weight_map.update({n: file for n in part})
    size = sum(v.size for v in tensors.values()) * (4 if dtype == "F32" else 2)
    write_json(os.path.join(folder, "model.safetensors.index.json"),
               {"metadata": {"total_size": size}, "weight_map": weight_map})


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)


class Weights:
    """Random weights, scaled so that activations stay O(1) through the layers."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.t = {}

    def mat(self, name, rows, cols):
        self.t[name] = (self.rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    def vec(self, name, n, center=0.0, scale=0.1):
        self.t[name] = (center + scale * self.rng.standard_normal(n)).astype(np.float32)


def decoder_weights(seed, c, head_dim, tied, norm_center=1.0, biases="", gemma=False, phi3=False):
    """biases: which projections have them, "qkv" (Qwen 2) or "qkvo" (Llama's attention_bias)."""
    e, ff, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    q, kv = c["num_attention_heads"] * head_dim, c["num_key_value_heads"] * head_dim
    w = Weights(seed)
    w.mat("model.embed_tokens.weight", v, e)
    w.vec("model.norm.weight", e, norm_center)
    if not tied:
        w.mat("lm_head.weight", v, e)
    for il in range(c["num_hidden_layers"]):
        p = f"model.layers.{il}."
        w.vec(p + "input_layernorm.weight", e, norm_center)
        w.vec(p + "post_attention_layernorm.weight", e, norm_center)
        if phi3:
            w.mat(p + "self_attn.qkv_proj.weight", q + 2 * kv, e)
            w.mat(p + "mlp.gate_up_proj.weight", 2 * ff, e)
        else:
            w.mat(p + "self_attn.q_proj.weight", q, e)
            w.mat(p + "self_attn.k_proj.weight", kv, e)
            w.mat(p + "self_attn.v_proj.weight", kv, e)
            w.mat(p + "mlp.gate_proj.weight", ff, e)
            w.mat(p + "mlp.up_proj.weight", ff, e)
        w.mat(p + "self_attn.o_proj.weight", e, q)
        w.mat(p + "mlp.down_proj.weight", e, ff)
        for proj, n in (("q_proj", q), ("k_proj", kv), ("v_proj", kv), ("o_proj", e))[:len(biases)]:
            w.vec(p + f"self_attn.{proj}.bias", n, 0.0, 0.5)
        if gemma:
            for name in ("pre_feedforward_layernorm", "post_feedforward_layernorm"):
                w.vec(p + name + ".weight", e, norm_center)
            w.vec(p + "self_attn.q_norm.weight", head_dim, norm_center)
            w.vec(p + "self_attn.k_norm.weight", head_dim, norm_center)
    return w.t


def base_config(arch, model_type, n_vocab, e, layers, heads, kv, ff, dtype, **extra):
    c = {"architectures": [arch], "model_type": model_type, "vocab_size": n_vocab, "hidden_size": e,
         "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv,
         "intermediate_size": ff, "max_position_embeddings": 256, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
         "hidden_act": "silu", "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
         "torch_dtype": {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[dtype],
         "transformers_version": "4.57.6"}
    c.update(extra)
    return c


def checkpoint(out, name, config, tensors, dtype, tok, shards=1):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, "config.json"), config)
    if shards > 1:
        save_sharded(folder, tensors, dtype, shards)
    else:
        save(os.path.join(folder, "model.safetensors"), tensors, dtype)
    for f in ("tokenizer.model", "tokenizer_config.json"):
        shutil.copy(os.path.join(tok, f), folder)
    return folder


def head_dim_of(c):
    return c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]


def make_all(out, tok, n_vocab):
    def llama_like(name, dtype, seed, **kw):
        shards = kw.pop("shards", 1)
        biases = kw.pop("biases", "")
        c = base_config(**kw, dtype=dtype)
        tied = c["tie_word_embeddings"]
        checkpoint(out, name, c, decoder_weights(seed, c, head_dim_of(c), tied, biases=biases), dtype, tok, shards)

    llama = dict(arch="LlamaForCausalLM", model_type="llama", n_vocab=n_vocab)
    llama_like("llama", "F32", 1, **llama, e=256, layers=2, heads=4, kv=2, ff=512, head_dim=64)
    llama_like("llama-bf16", "BF16", 2, **llama, e=64, layers=2, heads=4, kv=2, ff=128, head_dim=16,
               tie_word_embeddings=True, shards=2, rope_theta=500000.0, max_position_embeddings=1024,
               rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                             "high_freq_factor": 4.0, "original_max_position_embeddings": 64})
    llama_like("llama-linear", "F16", 3, **llama, e=64, layers=2, heads=4, kv=2, ff=96, head_dim=16,
               attention_bias=True, biases="qkvo", rope_scaling={"type": "linear", "factor": 2.0})
    llama_like("mistral-yarn", "F16", 4, arch="MistralForCausalLM", model_type="mistral", n_vocab=n_vocab,
               e=64, layers=1, heads=4, kv=2, ff=96, head_dim=32, sliding_window=None,
               rope_scaling={"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64,
                             "beta_fast": 32.0, "beta_slow": 1.0})
    llama_like("qwen2", "F32", 5, arch="Qwen2ForCausalLM", model_type="qwen2", n_vocab=n_vocab, e=64, layers=2,
               heads=4, kv=2, ff=128, tie_word_embeddings=True, biases="qkv", use_sliding_window=False,
               sliding_window=None, max_window_layers=2)

    for name, dtype, layers, seed in (("gemma3", "BF16", 6, 6), ("gemma3-f16", "F16", 1, 7)):
        c = base_config("Gemma3ForCausalLM", "gemma3_text", n_vocab, 64, layers, 2, 1, 128, dtype, head_dim=32,
                        query_pre_attn_scalar=32, sliding_window=8, rope_theta=1000000.0,
                        rope_local_base_freq=10000.0, tie_word_embeddings=True,
                        hidden_activation="gelu_pytorch_tanh", final_logit_softcapping=None,
                        attn_logit_softcapping=None, rope_scaling=None)
        c.pop("hidden_act")
        # Gemma stores w for a norm that multiplies by (1 + w): weights around 0.
        checkpoint(out, name, c, decoder_weights(seed, c, 32, True, norm_center=0.0, gemma=True), dtype, tok)

    half = 8  # rotated pairs per head: 64 / 4 heads / 2
    c = base_config("Phi3ForCausalLM", "phi3", n_vocab + 24, 64, 2, 4, 4, 96, "F32", rms_norm_eps=1e-5,
                    max_position_embeddings=512, original_max_position_embeddings=128, sliding_window=None,
                    rope_scaling={"type": "longrope",
                                  "short_factor": [1.0 + 0.05 * i for i in range(half)],
                                  "long_factor": [1.0 + 1.5 * i * i / half for i in range(half)]})
    folder = checkpoint(out, "phi3", c, decoder_weights(8, c, 16, False, phi3=True), "F32", tok)
    # Phi-3's own added tokens, in the padded part of the vocabulary: llama.cpp looks <|endoftext|> up by
    # name when it loads a phi3 vocabulary.
    write_json(os.path.join(folder, "added_tokens.json"), {"<|endoftext|>": n_vocab, "<|end|>": n_vocab + 1})

    make_bad(out)


def make_bad(out):
    good = os.path.join(out, "llama-linear")

    def copy(name):
        folder = os.path.join(out, name)
        shutil.copytree(good, folder, dirs_exist_ok=True)
        return folder

    os.remove(os.path.join(copy("bad-no-config"), "config.json"))
    for name, edit in (("bad-arch", lambda c: c.update(architectures=["GPT2LMHeadModel"])),
                       ("bad-shape", lambda c: c.update(intermediate_size=c["intermediate_size"] + 8)),
                       ("bad-type", lambda c: c.update(num_attention_heads="4")),
                       ("bad-heads", lambda c: c.update(num_key_value_heads=3))):
        folder = copy(name)
        path = os.path.join(folder, "config.json")
        with open(path, encoding="utf-8") as f:
            c = json.load(f)
        edit(c)
        write_json(path, c)
    from safetensors.numpy import load_file
    folder = copy("bad-missing")
    tensors = load_file(os.path.join(folder, "model.safetensors"))
    del tensors["model.layers.1.mlp.down_proj.weight"]
    save_file(tensors, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})


def make_tinyllama(out, tok, n_vocab_tok):
    """TinyLlama-1.1B's config (22 layers, 2048 wide, GQA 32/4, FFN 5632, vocab 32000), BF16, two shards."""
    c = base_config("LlamaForCausalLM", "llama", 32000, 2048, 22, 32, 4, 5632, "BF16", max_position_embeddings=2048,
                    rms_norm_eps=1e-5, head_dim=64)
    folder = os.path.join(out, "tinyllama")
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, "config.json"), c)
    rng = np.random.default_rng(11)
    names = {}
    e, ff, v = 2048, 5632, 32000
    shapes = {"model.embed_tokens.weight": (v, e), "model.norm.weight": (e,), "lm_head.weight": (v, e)}
    for il in range(22):
        p = f"model.layers.{il}."
        shapes.update({p + "input_layernorm.weight": (e,), p + "post_attention_layernorm.weight": (e,),
                       p + "self_attn.q_proj.weight": (e, e), p + "self_attn.k_proj.weight": (256, e),
                       p + "self_attn.v_proj.weight": (256, e), p + "self_attn.o_proj.weight": (e, e),
                       p + "mlp.gate_proj.weight": (ff, e), p + "mlp.up_proj.weight": (ff, e),
                       p + "mlp.down_proj.weight": (e, ff)})
    # Written shard by shard, a tensor at a time, so that generating it needs little memory.
    order = sorted(shapes)
    for s in range(2):
        file = f"model-{s + 1:05d}-of-00002.safetensors"
        part = {}
        for n in order[s::2]:
            part[n] = bf16_bits((rng.standard_normal(shapes[n], dtype=np.float32) * 0.02).astype(np.float32))
            names[n] = file
        specs = {k: TensorSpec(dtype="bfloat16", shape=list(a.shape), data_ptr=a.ctypes.data, data_len=a.nbytes)
                 for k, a in part.items()}
        serialize_file(specs, os.path.join(folder, file), metadata={"format": "pt"})
        del part, specs
    write_json(os.path.join(folder, "model.safetensors.index.json"), {"metadata": {}, "weight_map": names})
    for f in ("tokenizer.model", "tokenizer_config.json"):
        shutil.copy(os.path.join(tok, f), folder)


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--tinyllama"):
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, open("/usr/share/common-licenses/GPL-3", encoding="utf-8") as f:
        hf_tokenizer_make.make_spm(tmp, f.read())
        tok = os.path.join(tmp, "spm-llama")
        with open(os.path.join(tok, "config.json"), encoding="utf-8") as cf:
            n_vocab = json.load(cf)["vocab_size"]
        if len(sys.argv) == 3:
            make_tinyllama(out, tok, n_vocab)
        else:
            make_all(out, tok, n_vocab)


if __name__ == "__main__":
    main()
