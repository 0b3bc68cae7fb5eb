#!/usr/bin/env python3
"""Reference outputs for tests/src/test_tokenizer.cpp.

    tokenizer_ref.py hf <file.gguf> <strings.json> <out.txt>
        Token ids from the tokenizer that transformers builds from the GGUF file
        (AutoTokenizer.from_pretrained(dir, gguf_file=name)), one line of space-separated ids per input
        string, with transformers' default special tokens. Building Gemma's 262k vocabulary takes over a
        minute, so results are cached under $GIRAFFE_CACHE_DIR (default ~/.cache/giraffe/tokenizer_ref),
        keyed by the strings, the file (path, size, mtime) and the transformers/tokenizers versions.

    tokenizer_ref.py split <strings.json> <out.txt>
        The pre-tokenizer regexes (GPT-2, Llama 3, Qwen 2) applied with the `regex` module: for each
        pattern, for each string, one line of the UTF-8 byte lengths of the pieces.
"""
import hashlib
import importlib.util
import json
import os
import sys
import types

GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3 = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
          r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")
QWEN2 = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
         r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")


def load_strings(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


class _NoTorch(types.ModuleType):
    """Stands in for torch while transformers' GGUF modules are imported: their module level names torch's
    types (annotations, a dtype table) but reading a file's metadata never touches torch. Every attribute is a
    placeholder that raises when used, so a real use of torch fails loudly instead of computing anything."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _TorchPlaceholder(name)


class _TorchPlaceholder:
    def __init__(self, name):
        self.name = name

    def __getattr__(self, attr):
        return _TorchPlaceholder(self.name + "." + attr)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"tokenizer_ref.py: torch.{self.name} used while building a tokenizer (torch is absent)")


def import_transformers_gguf():
    """transformers builds a GGUF file's tokenizer from its metadata with numpy and `tokenizers` alone, but two
    modules on that path import torch: the GGUF reader (for its tensor dtype table) and load_gguf_checkpoint
    (whose gate asks for torch even when it reads no tensor). PyPI's torch brings ~5 GB of CUDA libraries, more
    than a CI machine's free disk, so those modules are imported against a stand-in, and the gate is told torch
    is there. Checked against the same calls with the real torch installed: identical ids for all five test
    vocabularies (Gemma's included)."""
    import importlib.machinery

    if "torch" not in sys.modules and importlib.util.find_spec("torch") is None:
        stand_in = _NoTorch("torch")
        stand_in.__spec__ = importlib.machinery.ModuleSpec("torch", None)
        sys.modules["torch"] = stand_in
        try:
            import transformers.integrations.gguf.reader  # noqa: F401
            import transformers.modeling_gguf_pytorch_utils as gguf_utils
        finally:
            del sys.modules["torch"]
        gguf_utils.is_torch_available = lambda: True


def hf(gguf_path, strings_path, out_path):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import tokenizers
    import transformers

    strings = load_strings(strings_path)
    gguf_path = os.path.abspath(gguf_path)
    st = os.stat(gguf_path)
    key = hashlib.sha256(json.dumps([strings, gguf_path, st.st_size, st.st_mtime_ns, transformers.__version__,
                                     tokenizers.__version__]).encode("utf-8")).hexdigest()
    cache_dir = os.environ.get("GIRAFFE_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "giraffe")
    cache_dir = os.path.join(cache_dir, "tokenizer_ref")
    cache_file = os.path.join(cache_dir, key + ".txt")
    if os.path.exists(cache_file):
        with open(cache_file, encoding="utf-8") as f:
            lines = f.read().splitlines()
    else:
        from transformers import AutoTokenizer

        import_transformers_gguf()
        tok = AutoTokenizer.from_pretrained(os.path.dirname(gguf_path), gguf_file=os.path.basename(gguf_path))
        lines = [" ".join(str(i) for i in tok(s)["input_ids"]) for s in strings]
        os.makedirs(cache_dir, exist_ok=True)
        write_lines(cache_file + ".tmp", lines)
        os.replace(cache_file + ".tmp", cache_file)
    write_lines(out_path, lines)


def split(strings_path, out_path):
    import regex

    strings = load_strings(strings_path)
    lines = []
    for pattern in (GPT2, LLAMA3, QWEN2):
        rx = regex.compile(pattern)
        for s in strings:
            lines.append(" ".join(str(len(m.group(0).encode("utf-8"))) for m in rx.finditer(s)))
    write_lines(out_path, lines)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "hf":
        hf(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == "split":
        split(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
