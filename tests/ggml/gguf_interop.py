#!/usr/bin/env python3
"""GGUF interop helper for tests/ggml/test_gguf_interop.cpp, built on PyPI's `gguf` package.

  gguf_interop.py read FILE    load FILE with gguf.GGUFReader and print a canonical dump (below)
  gguf_interop.py write FILE   write a small file with gguf.GGUFWriter (the C++ test knows its contents)

Canonical dump, one item per line (the C++ test prints the same format from ggml::GgufFile):
  version V
  alignment A
  data_offset D
  kv KEY TYPE VALUE        TYPE: u8 i8 u16 i16 u32 i32 f32 bool string array u64 i64 f64
                           VALUE: integers in decimal, f32/f64 as the hex of their bits, bool 0/1,
                           strings as 'x' + hex of the UTF-8 bytes, arrays as ELEMTYPE[v,v,...]
                           (nested arrays recursively, e.g. array[u8[1,2],string[x61]])
  tensor NAME TYPEID NE0,NE1,.. NBYTES ABS_OFFSET FNV1A64_OF_BYTES
"""
import struct
import sys

import numpy as np
import gguf
from gguf import GGUFValueType as VT

NAMES = {
    VT.UINT8: "u8", VT.INT8: "i8", VT.UINT16: "u16", VT.INT16: "i16", VT.UINT32: "u32", VT.INT32: "i32",
    VT.FLOAT32: "f32", VT.BOOL: "bool", VT.STRING: "string", VT.ARRAY: "array", VT.UINT64: "u64",
    VT.INT64: "i64", VT.FLOAT64: "f64",
}


def fnv1a64(data: bytes) -> str:
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return "%016x" % h


def scalar_repr(t, part) -> str:
    raw = part.tobytes()
    if t == VT.FLOAT32:
        return "%08x" % struct.unpack("<I", raw)[0]
    if t == VT.FLOAT64:
        return "%016x" % struct.unpack("<Q", raw)[0]
    if t == VT.BOOL:
        return "1" if raw[0] else "0"
    return str(int(part[0]))


def walk(parts, i, t):
    """Formats the value of type t whose parts start at parts[i]; returns (text, next index)."""
    t = VT(t)
    if t == VT.STRING:
        return "x" + bytes(parts[i + 1]).hex(), i + 2
    if t == VT.ARRAY:
        elem = VT(int(parts[i][0]))
        count = int(parts[i + 1][0])
        i += 2
        items = []
        for _ in range(count):
            text, i = walk(parts, i, elem)
            items.append(text)
        return NAMES[elem] + "[" + ",".join(items) + "]", i
    return scalar_repr(t, parts[i]), i + 1


def dump(path: str) -> str:
    r = gguf.GGUFReader(path)
    lines = [
        "version %d" % int(r.fields["GGUF.version"].parts[0][0]),
        "alignment %d" % int(r.alignment),
        "data_offset %d" % int(r.data_offset),
    ]
    for name, field in r.fields.items():
        if name in ("GGUF.version", "GGUF.tensor_count", "GGUF.kv_count"):
            continue
        vtype = VT(int(field.parts[2][0]))
        text, end = walk(field.parts, 3, vtype)
        assert end == len(field.parts), name
        lines.append("kv %s %s %s" % (name, NAMES[vtype], text))
    for t in r.tensors:
        shape = ",".join(str(int(x)) for x in t.shape)
        lines.append("tensor %s %d %s %d %d %s" % (t.name, int(t.tensor_type), shape, int(t.n_bytes),
                                                  int(t.data_offset), fnv1a64(t.data.tobytes())))
    return "\n".join(lines) + "\n"


def write(path: str) -> None:
    w = gguf.GGUFWriter(path, "giraffe-test")
    w.add_custom_alignment(64)
    w.add_uint32("test.u32", 42)
    w.add_int32("test.i32", -7)
    w.add_float32("test.f32", 0.5)
    w.add_bool("test.bool", True)
    w.add_string("test.str", "hello \u2713")
    w.add_uint64("test.u64", 1 << 40)
    w.add_float64("test.f64", 1.5)
    w.add_array("test.strs", ["a", "bb", "ccc"])
    w.add_array("test.ints", [1, 2, 3])
    w.add_array("test.floats", [0.25, 0.5])
    w.add_key_value("test.nested", [[1, 2], [3, 4, 5]], VT.ARRAY, sub_type=VT.ARRAY)
    w.add_tensor("t.f32", np.arange(15, dtype=np.float32).reshape(3, 5))
    w.add_tensor("t.f16", np.arange(8, dtype=np.float16).reshape(2, 4))
    w.add_tensor("t.i32", np.arange(6, dtype=np.int32) - 3)
    x = np.linspace(-1.0, 1.0, 64, dtype=np.float32).reshape(2, 32)
    q = gguf.quants.quantize(x, gguf.GGMLQuantizationType.Q8_0)
    w.add_tensor("t.q8_0", q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "read":
        sys.stdout.write(dump(sys.argv[2]))
    else:
        write(sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
