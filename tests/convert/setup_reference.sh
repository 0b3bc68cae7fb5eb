#!/usr/bin/env bash
# The reference converter for `giraffe convert`'s tests: llama.cpp's convert_hf_to_gguf.py with what it
# imports, in .venv-convert-ref (ignored by git). tests/convert/test_convert_models.cpp runs it when it
# is there and compares every tensor and metadata key of its output with giraffe's.
#
#   .venv-convert-ref/llama.cpp/   the converter and its gguf-py, from PyPI's llama-cpp-python sdist
#                                  (the only PyPI package that ships them)
#   .venv-convert-ref/bin/python   torch (PyPI's build, which brings its CUDA libraries: ~4 GB, a few
#                                  minutes; the converter needs torch even for safetensors), the pinned
#                                  versions of the converter's requirements, and the sdist's gguf-py
#
# Quick when already done (a stamp names what was installed). Env: LLAMA_CPP_SDIST=path/to/the .tar.gz
# to use a downloaded sdist instead of fetching it.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=.venv-convert-ref
LCPP_VERSION=0.3.36
# The converter's requirements (requirements/requirements-convert_hf_to_gguf.txt of that llama.cpp).
PY_PACKAGES=(torch==2.11.0 numpy~=2.2.6 "sentencepiece>=0.1.98,<0.3.0" transformers==4.57.6
             "protobuf>=4.21.0,<5.0.0" safetensors)
STAMP="$VENV/.ready-llama-cpp-python-$LCPP_VERSION"

# Whether the modules are installed, without importing them (torch takes seconds to import).
MODULES_PRESENT='import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in
    ("torch", "gguf", "transformers", "sentencepiece", "safetensors", "google.protobuf")))'
if [ -f "$STAMP" ] && [ -f "$VENV/llama.cpp/convert_hf_to_gguf.py" ] &&
   "$VENV/bin/python" -c "$MODULES_PRESENT" 2>/dev/null; then
    echo "setup_reference: $VENV is ready"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup_reference: creating $VENV"
    python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --upgrade pip

# The converter's sources: the sdist's vendored llama.cpp, of which only the Python parts are kept.
if [ ! -f "$VENV/llama.cpp/convert_hf_to_gguf.py" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    sdist=${LLAMA_CPP_SDIST:-}
    if [ -z "$sdist" ]; then
        echo "setup_reference: fetching the llama-cpp-python $LCPP_VERSION sdist"
        "$PY" -m pip download --quiet --no-deps --no-binary :all: -d "$tmp" "llama-cpp-python==$LCPP_VERSION"
        sdist=$(ls "$tmp"/llama_cpp_python-*.tar.gz)
    fi
    root="llama_cpp_python-$LCPP_VERSION/vendor/llama.cpp"
    tar -xzf "$sdist" -C "$tmp" "$root/convert_hf_to_gguf.py" "$root/conversion" "$root/gguf-py" "$root/models/templates"
    rm -rf "$VENV/llama.cpp"
    mv "$tmp/$root" "$VENV/llama.cpp"
fi

echo "setup_reference: installing ${PY_PACKAGES[*]} and gguf-py (torch is large: a few minutes)"
# No wheel cache: torch's wheels would otherwise stay in ~/.cache/pip (~3 GB) beside what they install,
# and CI machines have run out of disk here.
"$PY" -m pip install --quiet --no-cache-dir "${PY_PACKAGES[@]}" ./"$VENV"/llama.cpp/gguf-py
"$PY" -c "import torch, gguf, transformers, sentencepiece, safetensors"
touch "$STAMP"
echo "setup_reference: $VENV is ready"
