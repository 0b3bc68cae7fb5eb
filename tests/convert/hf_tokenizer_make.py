#!/usr/bin/env python3
"""Writes Hugging Face style tokenizer folders for tests/convert/test_hf_tokenizer.cpp (no torch needed).

    hf_tokenizer_make.py <out_dir> [<training text>]

Each folder holds what a checkpoint's tokenizer consists of, trained here on the text (default
/usr/share/common-licenses/GPL-3), and cases.txt with the reference token ids:
  bpe-llama3/  byte-level BPE trained with `tokenizers` behind Llama 3's Split regex, ignore_merges as in
               Llama 3; special tokens <|begin_of_text|> ... <|eot_id|>, non-special <think> </think>; a
               TemplateProcessing post-processor adding <|begin_of_text|>; tokenizer_config.json with
               bos / eos (<|eot_id|>) and a chat template; config.json with a list of eos ids.
  bpe-qwen2/   Qwen 2's regex and NFC normalizer, <|endoftext|> <|im_start|> <|im_end|>, a ByteLevel
               post-processor, bos_token null (config.json gives it), chat_template.jinja, and a
               config.json vocab_size past the tokenizer's (padding).
  bpe-gpt2/    GPT-2's ByteLevel pre-tokenizer, merges in the older "a b" string form, <|endoftext|>.
  spm-llama/   a SentencePiece BPE model with byte fallback (Llama 2 style) trained with `sentencepiece`:
               tokenizer.model, tokenizer_config.json (add_bos_token, <think> as a non-special added
               token, a chat template), config.json with bos / eos ids.

cases.txt: first line "n_vocab <vocab_size of config.json>", then one line per test string:
"<hex of the UTF-8 string> <ids>" with the reference library's ids and its default special tokens:
tokenizers' Tokenizer.encode (the post-processor adds bos where it does), sentencepiece's encode with bos
in front (the folder's add_bos_token). A string the reference normalizes (Qwen 2's NFC) gets "skip":
giraffe, like llama.cpp, does not normalize.
spm-llama/pieces.txt: "<kind> <score> <hex of the piece>" per id, from SentencePieceProcessor.
"""
import json
import os
import shutil
import sys
import unicodedata

LLAMA3_REGEX = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")
QWEN2_REGEX = LLAMA3_REGEX.replace(r"\p{N}{1,3}", r"\p{N}")

LLAMA3_TEMPLATE = ("{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
                   "{{ m['content'] | trim }}<|eot_id|>{% endfor %}"
                   "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}")
CHATML_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                   "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
LLAMA2_TEMPLATE = ("{% for m in messages %}{% if m['role'] == 'user' %}{{ bos_token + '[INST] ' + m['content'] + "
                   "' [/INST]' }}{% else %}{{ ' ' + m['content'] + ' ' + eos_token }}{% endif %}{% endfor %}")

COMMON = [
    "Hello world", " Hello world", "  leading spaces", "trailing spaces   ", "multiple     spaces    inside",
    " ", "  ", "    ", "", "a", "\n", "a\nb", "\n leading newline", " \n", "line one\n\nline two\n\n\nline three\n",
    "\ttab\t\tdouble\t\t\ttriple", " \n \t \r\n mixed  \n\n whitespace \r\n", "1234567",
    "3.14159 and 42,000 and 1 000 000", "café naïve résumé Zürich straße", "e\u0301 combining",
    "日本語のテキストです。", "中文 测试 한국어", "\U0001F600\U0001F389\U0001F44D\U0001F3FD emoji",
    "emoji \U0001F600 in text \U0001F9CC!", "def f(x):\n    return x * 2\n\n\nclass A:\n\tpass\n",
    "if (a<b && c>d) { return a[i]->next; }", "don't I'LL we've 'S 'll", "Ωμέγα Привет мир", "!!!???... ---",
    "\u00a0nbsp and\u3000ideographic space", "end.\n",
]
SPECIAL_STRINGS = {
    "bpe-llama3": ["<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
                   "<think>reasoning</think> answer", "x<|eot_id|> y", " <think> spaced </think> "],
    "bpe-qwen2": ["<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", "<think>\nhmm\n</think>\n\nok",
                  "a<|endoftext|>b"],
    "bpe-gpt2": ["text<|endoftext|>more", "<think>x</think>"],
    # sentencepiece matches user-defined pieces in the text but never control ones; giraffe is run with
    # parse_special off. (Text that starts with a user-defined piece is left out: sentencepiece puts a lone
    # "▁" before it, giraffe and llama.cpp do not.)
    "spm-llama": ["x <think>y</think> z", "a<think>", "<s>not parsed</s>", "<|eot_id|> as text", " <think>"],
}


def test_strings(name, text):
    return COMMON + SPECIAL_STRINGS[name] + [text]


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)


def write_cases(folder, n_vocab, strings, encode, nfc=False):
    with open(os.path.join(folder, "cases.txt"), "w", encoding="ascii") as f:
        f.write(f"n_vocab {n_vocab}\n")
        for s in strings:
            skip = nfc and unicodedata.normalize("NFC", s) != s
            ids = "skip" if skip else " ".join(str(i) for i in encode(s))
            f.write(f"{s.encode('utf-8').hex() or '-'} {ids}\n")


def added_decoder(entries):
    return {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
                     "special": special} for i, t, special in entries}


def train_bpe(text, pre_tokenizer, special, user_defined, normalizer=None):
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1500, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(text.splitlines(keepends=True), trainer)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in user_defined])
    return tok


def split_then_bytes(regex):
    """A Split on the regex followed by a ByteLevel that only maps bytes, as Llama 3's and Qwen 2's."""
    from tokenizers import Regex, pre_tokenizers

    return pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(regex), behavior="isolated"),
                                    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])


def save_bpe(folder, tok, edit=None):
    """Saves tokenizer.json (after edit(json) if given) and returns the tokenizer read back from it."""
    from tokenizers import Tokenizer

    os.makedirs(folder, exist_ok=True)
    j = json.loads(tok.to_str())
    if edit:
        edit(j)
    write_json(os.path.join(folder, "tokenizer.json"), j)
    return Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))


def make_llama3(out, text):
    from tokenizers import processors

    name = "bpe-llama3"
    special = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    tok = train_bpe(text, split_then_bytes(LLAMA3_REGEX), special, ["<think>", "</think>"])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                      pair="<|begin_of_text|> $A:0 <|begin_of_text|>:1 $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)]),
    ])

    def edit(j):
        j["model"]["ignore_merges"] = True

    folder = os.path.join(out, name)
    tok = save_bpe(folder, tok, edit)
    ids = {t: tok.token_to_id(t) for t in special + ["<think>", "</think>"]}
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "added_tokens_decoder": added_decoder([(ids[t], t, t in special) for t in ids]),
        "bos_token": "<|begin_of_text|>", "chat_template": LLAMA3_TEMPLATE, "clean_up_tokenization_spaces": True,
        "eos_token": "<|eot_id|>", "model_max_length": 8192, "tokenizer_class": "PreTrainedTokenizerFast"})
    n_vocab = tok.get_vocab_size()
    write_json(os.path.join(folder, "config.json"), {
        "architectures": ["LlamaForCausalLM"], "vocab_size": n_vocab, "bos_token_id": bos,
        "eos_token_id": [ids["<|end_of_text|>"], ids["<|eot_id|>"]]})
    write_cases(folder, n_vocab, test_strings(name, text), lambda s: tok.encode(s).ids)


def make_qwen2(out, text):
    from tokenizers import normalizers, processors

    name = "bpe-qwen2"
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = train_bpe(text, split_then_bytes(QWEN2_REGEX), special, ["<think>", "</think>"],
                    normalizer=normalizers.NFC())
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    folder = os.path.join(out, name)
    tok = save_bpe(folder, tok)
    ids = {t: tok.token_to_id(t) for t in special + ["<think>", "</think>"]}
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "add_prefix_space": False, "added_tokens_decoder": added_decoder([(ids[t], t, t in special) for t in ids]),
        "bos_token": None, "eos_token": "<|im_end|>", "errors": "replace", "pad_token": "<|endoftext|>",
        "split_special_tokens": False, "tokenizer_class": "Qwen2Tokenizer"})
    with open(os.path.join(folder, "chat_template.jinja"), "w", encoding="utf-8") as f:
        f.write(CHATML_TEMPLATE)
    n_vocab = tok.get_vocab_size() + 16
    write_json(os.path.join(folder, "config.json"), {
        "architectures": ["Qwen2ForCausalLM"], "vocab_size": n_vocab, "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"]})
    write_cases(folder, n_vocab, test_strings(name, text), lambda s: tok.encode(s).ids, nfc=True)


def make_gpt2(out, text):
    from tokenizers import pre_tokenizers, processors

    name = "bpe-gpt2"
    tok = train_bpe(text, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), ["<|endoftext|>"],
                    ["<think>", "</think>"])
    tok.post_processor = processors.ByteLevel(trim_offsets=True)

    def edit(j):
        j["model"]["merges"] = [m if isinstance(m, str) else " ".join(m) for m in j["model"]["merges"]]

    folder = os.path.join(out, name)
    tok = save_bpe(folder, tok, edit)
    eot = tok.token_to_id("<|endoftext|>")
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
        "model_max_length": 1024, "tokenizer_class": "GPT2Tokenizer"})
    n_vocab = tok.get_vocab_size()
    write_json(os.path.join(folder, "config.json"), {
        "architectures": ["GPT2LMHeadModel"], "vocab_size": n_vocab, "bos_token_id": eot, "eos_token_id": eot})
    write_cases(folder, n_vocab, test_strings(name, text), lambda s: tok.encode(s).ids)


def sp_kind(sp, i):
    for kind, test in (("unknown", sp.is_unknown), ("control", sp.is_control), ("unused", sp.is_unused),
                       ("byte", sp.is_byte)):
        if test(i):
            return kind
    return "normal"


def make_spm(out, text):
    import sentencepiece as spm

    name = "spm-llama"
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    prefix = os.path.join(folder, "train")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(text.splitlines()), model_prefix=prefix, model_type="bpe", vocab_size=1000,
        byte_fallback=True, character_coverage=1.0, user_defined_symbols=["<think>", "</think>"],
        control_symbols=["<|eot_id|>"], split_digits=True, remove_extra_whitespaces=False,
        normalization_rule_name="identity", minloglevel=2)
    shutil.move(prefix + ".model", os.path.join(folder, "tokenizer.model"))
    os.remove(prefix + ".vocab")
    sp = spm.SentencePieceProcessor(model_file=os.path.join(folder, "tokenizer.model"))
    n = sp.get_piece_size()
    with open(os.path.join(folder, "pieces.txt"), "w", encoding="ascii") as f:
        for i in range(n):
            f.write(f"{sp_kind(sp, i)} {sp.get_score(i)!r} {sp.id_to_piece(i).encode('utf-8').hex()}\n")
    specials = [(sp.unk_id(), "<unk>", True), (sp.bos_id(), "<s>", True), (sp.eos_id(), "</s>", True)]
    user = [(sp.piece_to_id(t), t, False) for t in ("<think>", "</think>")]
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "add_bos_token": True, "add_eos_token": False, "added_tokens_decoder": added_decoder(specials + user),
        "bos_token": "<s>", "chat_template": LLAMA2_TEMPLATE, "clean_up_tokenization_spaces": False,
        "eos_token": "</s>", "legacy": False, "pad_token": None, "tokenizer_class": "LlamaTokenizer",
        "unk_token": "<unk>"})
    write_json(os.path.join(folder, "config.json"), {
        "architectures": ["LlamaForCausalLM"], "vocab_size": n, "bos_token_id": sp.bos_id(),
        "eos_token_id": sp.eos_id()})
    write_cases(folder, n, test_strings(name, text), lambda s: [sp.bos_id()] + sp.encode(s))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[1]
    src = sys.argv[2] if len(sys.argv) == 3 else "/usr/share/common-licenses/GPL-3"
    with open(src, encoding="utf-8") as f:
        text = f.read()
    os.makedirs(out, exist_ok=True)
    make_llama3(out, text)
    make_qwen2(out, text)
    make_gpt2(out, text)
    make_spm(out, text)


if __name__ == "__main__":
    main()
