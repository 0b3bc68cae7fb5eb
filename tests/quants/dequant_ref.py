#!/usr/bin/env python3
"""Reference dequantization for tests/quants: gguf-py's numpy implementation (gguf.quants.dequantize).

Usage: dequant_ref.py TYPE IN OUT [TYPE IN OUT ...]
  TYPE  a GGMLQuantizationType name, e.g. Q4_0 or Q6_K
  IN    raw blocks (a whole number of blocks of TYPE)
  OUT   written: the dequantized values as raw little-endian float32
Exit status 2 when gguf/numpy cannot be imported (run `make setup`), 1 on any other error.
"""
import sys

try:
    import numpy as np
    from gguf import GGMLQuantizationType, GGML_QUANT_SIZES
    from gguf.quants import dequantize
except ImportError as e:  # pragma: no cover
    print(f"dequant_ref.py: cannot import gguf/numpy ({e}); run `make setup`", file=sys.stderr)
    sys.exit(2)


def main(argv):
    if len(argv) % 3 != 0 or not argv:
        print(__doc__, file=sys.stderr)
        return 1
    for i in range(0, len(argv), 3):
        name, src, dst = argv[i:i + 3]
        qtype = GGMLQuantizationType[name]
        _, type_size = GGML_QUANT_SIZES[qtype]
        raw = np.fromfile(src, dtype=np.uint8)
        if raw.size % type_size != 0:
            print(f"{src}: {raw.size} bytes is not a whole number of {name} blocks", file=sys.stderr)
            return 1
        out = dequantize(raw.reshape((-1, type_size)), qtype)
        np.ascontiguousarray(out, dtype=np.float32).astype("<f4").tofile(dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
