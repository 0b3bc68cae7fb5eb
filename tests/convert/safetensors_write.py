"""Writes safetensors checkpoints with PyPI's safetensors library for tests/convert/test_safetensors.cpp.

usage: safetensors_write.py OUT_DIR

  OUT_DIR/single/model.safetensors       F32, F16, BF16, I64, F8_E4M3, a scalar and an empty tensor
  OUT_DIR/sharded/model-0000{1,2}-of-00002.safetensors + model.safetensors.index.json
  OUT_DIR/loose/a.safetensors, b.safetensors   (no index: the reader takes every *.safetensors)
  OUT_DIR/expect.txt   one line per tensor: folder file name dtype rank dims...
  OUT_DIR/ref/<folder>.<name>.f32   the values as little-endian float32, for F32 / F16 / BF16 tensors

numpy has no bfloat16, so BF16 tensors go through the library's serialize_file with raw uint16 bits
(dtype "bfloat16"), the same writer safetensors.numpy.save_file calls.
"""
import json
import os
import sys

import numpy as np
from safetensors import TensorSpec, serialize_file
from safetensors.numpy import save_file

rng = np.random.default_rng(1234)
expect = []


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def bf16_bits(x):
    """bfloat16 bits of float32 values (truncated: the test compares against the bits, not x)."""
    return (x.view(np.uint32) >> 16).astype(np.uint16)


def widened(dtype, arr):
    """What a reader must return for the tensor, as float32."""
    if dtype == "BF16":
        return (arr.astype(np.uint32) << 16).view(np.float32)
    return arr.astype(np.float32)


def record(out, folder, file, tensors):
    """tensors: name -> (safetensors dtype, numpy array holding the stored elements)."""
    for name, (dtype, arr) in tensors.items():
        expect.append(f"{folder} {file} {name} {dtype} {arr.ndim} " + " ".join(str(d) for d in arr.shape))
        if dtype in ("F32", "F16", "BF16"):
            widened(dtype, arr).astype("<f4").tofile(os.path.join(out, "ref", f"{folder}.{name}.f32"))


LIB_DTYPE = {"BF16": "bfloat16", "F8_E4M3": "float8_e4m3fn"}


def serialize(path, tensors, metadata=None):
    """The library's writer for dtypes numpy lacks: every tensor as raw bytes with its dtype's name."""
    arrays = {k: a for k, (_, a) in tensors.items()}  # np.ascontiguousarray would make a scalar 1-D
    assert all(a.flags.c_contiguous for a in arrays.values())
    specs = {
        k: TensorSpec(dtype=LIB_DTYPE.get(d, arrays[k].dtype.name), shape=list(arrays[k].shape),
                      data_ptr=arrays[k].ctypes.data, data_len=arrays[k].nbytes)
        for k, (d, _) in tensors.items()
    }
    serialize_file(specs, path, metadata=metadata)


def numpy_save(path, tensors, metadata=None):
    save_file({k: a for k, (_, a) in tensors.items()}, path, metadata=metadata)


def single(out):
    every_f16 = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    tensors = {
        "model.embed.weight": ("F32", f32(7, 5)),
        "model.norm.weight": ("F32", f32(5)),
        "layers.0.attn.q.weight": ("F16", f32(3, 4, 5).astype(np.float16)),
        "layers.0.mlp.up.weight": ("BF16", bf16_bits(f32(6, 3))),
        "every_f16": ("F16", every_f16.view(np.float16).reshape(256, 256)),
        "every_bf16": ("BF16", every_f16.reshape(256, 256)),
        "scale": ("F32", np.array(2.5, dtype=np.float32)),
        "empty": ("F32", np.zeros((0, 4), dtype=np.float32)),
        "position_ids": ("I64", np.arange(6, dtype=np.int64).reshape(1, 6)),
        "fp8": ("F8_E4M3", np.arange(8, dtype=np.uint8)),
    }
    os.makedirs(os.path.join(out, "single"))
    serialize(os.path.join(out, "single", "model.safetensors"), tensors, {"format": "np", "note": "test"})
    record(out, "single", "model.safetensors", tensors)


def sharded(out):
    shards = {
        "model-00001-of-00002.safetensors": {
            "a.weight": ("F32", f32(4, 3)),
            "b.weight": ("F16", f32(2, 8).astype(np.float16)),
        },
        "model-00002-of-00002.safetensors": {
            "c.weight": ("BF16", bf16_bits(f32(5, 2))),
            "d.bias": ("F32", f32(9)),
        },
    }
    d = os.path.join(out, "sharded")
    os.makedirs(d)
    weight_map = {}
    for file, tensors in shards.items():
        if any(dt == "BF16" for dt, _ in tensors.values()):
            serialize(os.path.join(d, file), tensors, {"format": "np"})
        else:
            numpy_save(os.path.join(d, file), tensors, {"format": "np"})
        record(out, "sharded", file, tensors)
        weight_map.update({name: file for name in tensors})
    total = sum(a.nbytes for t in shards.values() for _, a in t.values())
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def loose(out):
    d = os.path.join(out, "loose")
    os.makedirs(d)
    files = {"a.safetensors": {"x": ("F32", f32(2, 2))}, "b.safetensors": {"y": ("F16", f32(3).astype(np.float16))}}
    for file, tensors in files.items():
        numpy_save(os.path.join(d, file), tensors)
        record(out, "loose", file, tensors)


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "ref"), exist_ok=True)
    single(out)
    sharded(out)
    loose(out)
    with open(os.path.join(out, "expect.txt"), "w") as f:
        f.write("\n".join(expect) + "\n")


if __name__ == "__main__":
    main()
