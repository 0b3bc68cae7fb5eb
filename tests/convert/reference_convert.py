#!/usr/bin/env python3
"""Runs llama.cpp's convert_hf_to_gguf.py several times in one process (torch imports once), for
tests/convert/test_convert_models.cpp. Run with .venv-convert-ref/bin/python (setup_reference.sh).

    reference_convert.py CONVERTER.py  HF_DIR OUTTYPE OUT.gguf  [HF_DIR OUTTYPE OUT.gguf ...]

Exits non-zero at the first conversion that fails.
"""
import importlib.util
import logging
import os
import sys


def main():
    if len(sys.argv) < 5 or (len(sys.argv) - 2) % 3 != 0:
        sys.exit(__doc__)
    sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[1])))  # its conversion/ package
    spec = importlib.util.spec_from_file_location("convert_hf_to_gguf", sys.argv[1])
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    logging.disable(logging.INFO)  # the converter logs every tensor
    jobs = sys.argv[2:]
    for i in range(0, len(jobs), 3):
        folder, outtype, out = jobs[i:i + 3]
        sys.argv = ["convert_hf_to_gguf.py", folder, "--outtype", outtype, "--outfile", out]
        converter.main()


if __name__ == "__main__":
    main()
