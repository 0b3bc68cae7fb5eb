#!/usr/bin/env python3
"""Hugging Face transformers' RoPE initialisation, as the reference for tests/src/test_rope_hf.cpp.

    rope_hf.py [CASES.json]      (no argument or "-": the JSON on stdin)

CASES is one case or a list of them. A case is {"config": {...}, "seq_len": N (optional), "model_type":
"llama" (optional; e.g. "phi3")}: "config" holds the keyword arguments of that model type's config class
(hidden_size, num_attention_heads, head_dim, max_position_embeddings, rope_parameters / rope_scaling, ...).
For each case this prints what transformers' ROPE_INIT_FUNCTIONS[rope_type](config, device, seq_len)
returns: {"rope_type", "inv_freq": [...], "attention_scaling"}; the "default" type (no scaling) is the
"linear" function with factor 1, which divides by 1 and is otherwise the same formula. Output: one JSON
object {"transformers": version, "torch": version or "numpy stand-in", "results": [...]}.

transformers computes these in torch. This project's environment has no torch (PyPI's brings ~5 GB of
CUDA libraries), so when torch is absent the rope functions run on a small stand-in that implements the few
torch calls they make (arange, tensor, clamp, where, dtype conversion, arithmetic) with numpy, keeping
torch's dtypes (float32 results; Python numbers do not promote them). With torch installed, torch itself is
used. Any torch call the stand-in does not implement raises, so nothing is silently approximated.
"""
import importlib.util
import json
import sys
import types

import numpy as np


class _Tensor(np.ndarray):
    """A numpy array with the two torch methods the rope functions call on tensors."""

    def to(self, *args, device=None, dtype=None):
        for a in args:  # .to(dtype) or .to(device)
            if isinstance(a, type) or isinstance(a, np.dtype):
                dtype = a
        return self if dtype is None else np.asarray(self, dtype=dtype).view(_Tensor)

    def float(self):
        return np.asarray(self, dtype=np.float32).view(_Tensor)

    def __array_wrap__(self, obj, context=None, return_scalar=False):
        return np.asarray(obj).view(_Tensor)


def _t(x):
    return np.asarray(x).view(_Tensor)


def _numpy_torch():
    m = types.ModuleType("torch")
    m.Tensor = _Tensor
    m.int64 = np.int64
    m.int32 = np.int32
    m.float = np.float32
    m.float32 = np.float32
    m.float64 = np.float64
    m.double = np.float64

    def arange(start, end=None, step=1, dtype=None, device=None):
        if end is None:
            start, end = 0, start
        # torch infers int64 from integer arguments, float32 otherwise
        if dtype is None:
            dtype = np.int64 if all(isinstance(v, int) for v in (start, end, step)) else np.float32
        return _t(np.arange(start, end, step, dtype=dtype))

    def tensor(data, dtype=None, device=None):
        if dtype is None:
            dtype = np.float32 if any(isinstance(v, float) for v in np.ravel(data).tolist()) else np.int64
        return _t(np.array(data, dtype=dtype))

    def clamp(x, min=None, max=None):
        return _t(np.clip(x, min, max).astype(np.asarray(x).dtype))

    def where(cond, a, b):
        a, b = np.asarray(a), np.asarray(b)
        return _t(np.where(cond, a, b).astype(np.result_type(a, b)))

    def zeros(n, dtype=np.float32, device=None):
        return _t(np.zeros(n, dtype=dtype))

    def cat(ts, dim=0):
        return _t(np.concatenate(ts, axis=dim))

    for f in (arange, tensor, clamp, where, zeros, cat):
        setattr(m, f.__name__, f)

    def missing(name):
        raise AttributeError(f"rope_hf.py: the numpy stand-in for torch has no torch.{name}")

    m.__getattr__ = missing
    return m


def load_rope_utils():
    import transformers
    from transformers import modeling_rope_utils as mru

    if importlib.util.find_spec("torch") is not None:
        import torch

        return transformers.__version__, torch.__version__, mru, lambda x: x.detach().double().cpu().numpy()
    mru.torch = _numpy_torch()
    return transformers.__version__, "numpy stand-in", mru, lambda x: np.asarray(x, dtype=np.float64)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "-"
    text = sys.stdin.read() if src == "-" else open(src, encoding="utf-8").read()
    cases = json.loads(text)
    if isinstance(cases, dict):
        cases = [cases]
    tf_version, torch_version, mru, to_numpy = load_rope_utils()
    from transformers import CONFIG_MAPPING

    results = []
    for case in cases:
        config = CONFIG_MAPPING[case.get("model_type", "llama")](**case["config"])
        config.standardize_rope_params()
        rope_type = config.rope_parameters.get("rope_type", "default")
        if rope_type == "default":  # the linear formula divided by 1
            config.rope_parameters["rope_type"] = rope_type = "linear"
            config.rope_parameters["factor"] = 1.0
        fn = mru.ROPE_INIT_FUNCTIONS[rope_type]
        inv_freq, attention_scaling = fn(config, None, case.get("seq_len"))
        results.append({
            "rope_type": rope_type,
            "inv_freq": [float(v) for v in to_numpy(inv_freq)],
            "attention_scaling": float(attention_scaling),
        })
    json.dump({"transformers": tf_version, "torch": torch_version, "results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
