"""Independent reference forward pass for giraffe's architectures, written from the equations.

Reads a GGUF model with PyPI's gguf package (dequantizing with gguf.quants), runs the whole token
sequence through the transformer in float64 numpy (causal attention, sliding windows where the layer
has one), and writes the logits of every position as float32.

    python forward.py MODEL.gguf TOKENS_FILE(i32 raw) OUT_FILE(f32 raw, [n_tokens, n_vocab]) [LAST_N [N_CTX]]

With LAST_N (0: all), only the logits of the last LAST_N positions are computed and written. N_CTX is the
context the compared run holds (default: the number of tokens): LongRoPE models (phi3 with
rope_factors_short/long) take their long factors when it exceeds the original context, as llama.cpp does.
"""
import math
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


def field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    v = f.contents()
    return v


def load_tensors(reader):
    out = {}
    for t in reader.tensors:
        ne = [int(x) for x in t.shape]  # ne[0] first
        data = dequantize(t.data, t.tensor_type)
        out[t.name] = np.asarray(data, dtype=np.float64).reshape(list(reversed(ne)))
    return out


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope(x, positions, n_rot, base, neox, freq_scale=1.0, factors=None, mscale=1.0):
    """x: [n_tokens, heads, head_dim]. Rotates the first n_rot dims of each head. factors: per-pair divisors
    of the frequencies (LongRoPE); mscale multiplies cos and sin (LongRoPE's attention factor)."""
    half = n_rot // 2
    i = np.arange(half, dtype=np.float64)
    inv_freq = base ** (-2.0 * i / n_rot) * freq_scale
    if factors is not None:
        inv_freq = inv_freq / factors
    ang = np.asarray(positions, dtype=np.float64)[:, None] * inv_freq[None, :]  # [n, half]
    cos = np.cos(ang)[:, None, :] * mscale
    sin = np.sin(ang)[:, None, :] * mscale
    y = x.copy()
    if neox:
        a, b = x[..., :half], x[..., half:n_rot]
        y[..., :half] = a * cos - b * sin
        y[..., half:n_rot] = a * sin + b * cos
    else:
        a, b = x[..., 0:n_rot:2], x[..., 1:n_rot:2]
        y[..., 0:n_rot:2] = a * cos - b * sin
        y[..., 1:n_rot:2] = a * sin + b * cos
    return y


def attention(q, k, v, scale, window):
    """q [n, H, d], k/v [n, Hkv, d]; causal, optionally within a sliding window of `window` keys."""
    n, H, _ = q.shape
    Hkv = k.shape[1]
    group = H // Hkv
    out = np.zeros((n, H, v.shape[2]))
    qi = np.arange(n)[:, None]
    ki = np.arange(n)[None, :]
    allowed = ki <= qi
    if window:
        allowed &= (qi - ki) < window
    for h in range(H):
        kh = h // group
        s = (q[:, h, :] @ k[:, kh, :].T) * scale
        s = np.where(allowed, s, -np.inf)
        s = s - s.max(axis=1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(axis=1, keepdims=True)
        out[:, h, :] = p @ v[:, kh, :]
    return out


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x / (1.0 + np.exp(-x))


def longrope(r, W, a, n_ctx):
    """LongRoPE (Phi-3 128K): the short factors within the original context L, the long ones beyond, and cos
    and sin times the file's attention factor, or sqrt(1 + ln(s) / ln(L)) for s = trained context / L > 1."""
    if "rope_factors_long.weight" not in W:
        return None, 1.0
    n_train = int(field(r, a + "context_length"))
    orig = int(field(r, a + "rope.scaling.original_context_length", n_train))
    factors = W["rope_factors_long.weight" if n_ctx > orig else "rope_factors_short.weight"]
    s = n_train / orig
    mscale = field(r, a + "rope.scaling.attn_factor")
    if mscale is None:
        mscale = math.sqrt(1.0 + math.log(s) / math.log(orig)) if s > 1.0 else 1.0
    return factors, float(mscale)


def forward(path, tokens, last_n=None, n_ctx=None):
    r = GGUFReader(path)
    arch = field(r, "general.architecture")
    a = arch + "."
    W = load_tensors(r)
    n_embd = int(field(r, a + "embedding_length"))
    n_layer = int(field(r, a + "block_count"))
    H = int(field(r, a + "attention.head_count"))
    Hkv = int(field(r, a + "attention.head_count_kv", H))
    eps = float(field(r, a + "attention.layer_norm_rms_epsilon", 1e-5))
    hd = int(field(r, a + "attention.key_length", n_embd // H))
    n_rot = int(field(r, a + "rope.dimension_count", hd))
    base = float(field(r, a + "rope.freq_base", 10000.0))
    window = int(field(r, a + "attention.sliding_window", 0))
    n = len(tokens)
    pos = np.arange(n)

    x = W["token_embd.weight"][tokens]  # [n, n_embd]
    if arch == "gemma3":
        x = x * math.sqrt(n_embd)
        window = window or 512
    if arch == "phi3":
        window = 0  # llama.cpp runs Phi-3 with full attention whatever sliding_window says
    rope_factors, rope_mscale = longrope(r, W, a, n if n_ctx is None else n_ctx)
    for il in range(n_layer):
        p = f"blk.{il}."
        h = rms_norm(x, W[p + "attn_norm.weight"], eps)
        if p + "attn_qkv.weight" in W:  # phi3: the rows of Q, K and V in one matrix
            qkv = h @ W[p + "attn_qkv.weight"].T
            q, k, v = np.split(qkv, [H * hd, (H + Hkv) * hd], axis=1)
        else:
            q = h @ W[p + "attn_q.weight"].T
            k = h @ W[p + "attn_k.weight"].T
            v = h @ W[p + "attn_v.weight"].T
        if arch == "qwen2":
            q = q + W[p + "attn_q.bias"]
            k = k + W[p + "attn_k.bias"]
            v = v + W[p + "attn_v.bias"]
        q = q.reshape(n, H, hd)
        k = k.reshape(n, Hkv, hd)
        v = v.reshape(n, Hkv, -1)
        if arch == "gemma3":
            q = rms_norm(q, W[p + "attn_q_norm.weight"], eps)
            k = rms_norm(k, W[p + "attn_k_norm.weight"], eps)
            is_global = (il + 1) % 6 == 0
            layer_base = base if is_global else 10000.0
            layer_window = 0 if is_global else window
            q = rope(q, pos, n_rot, layer_base, True)
            k = rope(k, pos, n_rot, layer_base, True)
            o = attention(q, k, v, 1.0 / math.sqrt(hd), layer_window).reshape(n, -1)
            o = o @ W[p + "attn_output.weight"].T
            x = x + rms_norm(o, W[p + "post_attention_norm.weight"], eps)
            h = rms_norm(x, W[p + "ffn_norm.weight"], eps)
            f = gelu_tanh(h @ W[p + "ffn_gate.weight"].T) * (h @ W[p + "ffn_up.weight"].T)
            f = f @ W[p + "ffn_down.weight"].T
            x = x + rms_norm(f, W[p + "post_ffw_norm.weight"], eps)
        else:
            neox = arch in ("qwen2", "phi3")
            q = rope(q, pos, n_rot, base, neox, factors=rope_factors, mscale=rope_mscale)
            k = rope(k, pos, n_rot, base, neox, factors=rope_factors, mscale=rope_mscale)
            o = attention(q, k, v, 1.0 / math.sqrt(hd), window).reshape(n, -1)
            x = x + o @ W[p + "attn_output.weight"].T
            h = rms_norm(x, W[p + "ffn_norm.weight"], eps)
            if arch == "phi3":  # ffn_up holds the gate's rows, then the up projection's
                gate, up = np.split(h @ W[p + "ffn_up.weight"].T, 2, axis=1)
            else:
                gate, up = h @ W[p + "ffn_gate.weight"].T, h @ W[p + "ffn_up.weight"].T
            x = x + (silu(gate) * up) @ W[p + "ffn_down.weight"].T
    if last_n:
        x = x[-last_n:]
    x = rms_norm(x, W["output_norm.weight"], eps)
    out_w = W.get("output.weight", W["token_embd.weight"])
    return x @ out_w.T


def main():
    path, tok_path, out_path = sys.argv[1:4]
    last_n = int(sys.argv[4]) if len(sys.argv) > 4 else None
    n_ctx = int(sys.argv[5]) if len(sys.argv) > 5 else None
    tokens = np.fromfile(tok_path, dtype=np.int32)
    logits = forward(path, tokens, last_n, n_ctx)
    logits.astype(np.float32).tofile(out_path)


if __name__ == "__main__":
    main()
