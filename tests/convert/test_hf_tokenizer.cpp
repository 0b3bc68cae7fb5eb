// Tokenizer conversion tests: a Hugging Face folder's tokenizer written as GGUF metadata by
// add_tokenizer_metadata must load in giraffe's Tokenizer and give the ids of the checkpoint's own tokenizer:
// the `tokenizers` library on tokenizer.json (byte-level BPE with Llama 3's, Qwen 2's and GPT-2's
// pre-tokenizers) and the `sentencepiece` library on tokenizer.model (Llama 2 style), on folders trained by
// hf_tokenizer_make.py. The special-token keys must be the ones llama.cpp's converter writes. Malformed and
// hostile files ([hostile], no Python) must give a one-line ConvertError naming the file, never a crash.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "convert/hf_tokenizer.h"
#include "convert/sentencepiece_model.h"
#include "ggml/gguf.h"
#include "src/tokenizer.h"
#include "test_util.h"

namespace fs = std::filesystem;
using ggml::GgufValue;
using giraffe::Tokenizer;
using giraffe::TokenType;
using giraffe::convert::ConvertError;
using giraffe::convert::VocabKind;

namespace {

const std::string& scratch() {
    static const TempDir dir;
    return dir.path();
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// A fresh empty folder under the scratch directory.
std::string fresh_dir(const std::string& name) {
    const std::string d = scratch() + "/" + name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// The folders written by hf_tokenizer_make.py, made once per run.
const std::string& fixtures() {
    static const std::string dir = [] {
        const std::string d = scratch() + "/fixtures";
        run_python("tests/convert/hf_tokenizer_make.py", "\"" + d + "\"");
        return d;
    }();
    return dir;
}

// Converts a folder's tokenizer into a vocab-only GGUF file and returns its path.
std::string convert(const std::string& dir, const std::string& arch, VocabKind kind, int64_t n_vocab,
                    const std::string& name) {
    ggml::GgufWriter w;
    w.set("general.architecture", GgufValue::str(arch));
    giraffe::convert::add_tokenizer_metadata(dir, arch, kind, n_vocab, w);
    const std::string out = scratch() + "/" + name + ".gguf";
    w.write(out);
    return out;
}

std::string unhex(const std::string& h) {
    std::string out;
    if (h == "-") return out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
    return out;
}

struct Case {
    std::string text;
    bool skip = false;
    std::vector<int32_t> ids;
};

struct Cases {
    int64_t n_vocab = 0;
    std::vector<Case> list;
};

// cases.txt: "n_vocab N", then "<hex text> <ids...>" or "<hex text> skip" per string.
Cases read_cases(const std::string& folder) {
    std::ifstream f(folder + "/cases.txt");
    REQUIRE(f.good());
    Cases c;
    std::string line, word;
    REQUIRE(std::getline(f, line));
    std::istringstream head(line);
    head >> word >> c.n_vocab;
    REQUIRE(word == "n_vocab");
    while (std::getline(f, line)) {
        std::istringstream ls(line);
        Case k;
        ls >> word;
        k.text = unhex(word);
        while (ls >> word) {
            if (word == "skip")
                k.skip = true;
            else
                k.ids.push_back(std::stoi(word));
        }
        c.list.push_back(k);
    }
    REQUIRE(c.list.size() > 30);
    return c;
}

std::string show(const std::vector<int32_t>& ids) {
    std::string s;
    for (int32_t id : ids) s += std::to_string(id) + " ";
    return s;
}

std::string printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s.substr(0, 120)) {
        if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// Every case's ids (with the file's bos/eos flags) equal the reference's, and the text comes back.
void check_cases(const Tokenizer& tok, const Cases& cases, bool parse_special, const std::string& tag) {
    int mismatches = 0, compared = 0;
    for (const Case& c : cases.list) {
        INFO(tag << ": " << printable(c.text));
        const std::vector<int32_t> plain = tok.tokenize(c.text, false, parse_special);
        CHECK(tok.detokenize(plain, true) == c.text);
        if (c.skip) continue;
        const std::vector<int32_t> ids = tok.tokenize(c.text, true, parse_special);
        INFO("giraffe:   " << show(ids));
        INFO("reference: " << show(c.ids));
        CHECK(ids == c.ids);
        mismatches += ids != c.ids;
        ++compared;
    }
    CHECK(mismatches == 0);
    CHECK(compared + 2 >= static_cast<int>(cases.list.size()));
}

const Case& find_case(const Cases& cases, const std::string& text) {
    for (const Case& c : cases.list)
        if (c.text == text) return c;
    FAIL("no case for " << printable(text));
    return cases.list.front();
}

// ---- a small protobuf writer for hand-made tokenizer.model files ----

std::string varint(uint64_t v) {
    std::string out;
    do {
        uint8_t b = v & 0x7F;
        v >>= 7;
        if (v) b |= 0x80;
        out += static_cast<char>(b);
    } while (v);
    return out;
}

std::string tag(uint32_t field, uint32_t wire) { return varint((uint64_t(field) << 3) | wire); }
std::string len_field(uint32_t field, const std::string& payload) {
    return tag(field, 2) + varint(payload.size()) + payload;
}

std::string piece(const std::string& text, float score, int type) {
    uint32_t bits;
    std::memcpy(&bits, &score, 4);
    std::string fixed(4, '\0');
    std::memcpy(fixed.data(), &bits, 4);
    std::string p = len_field(1, text) + tag(2, 5) + fixed;
    if (type != 1) p += tag(3, 0) + varint(static_cast<uint64_t>(type));
    return len_field(1, p);
}

// A small valid model: the pieces (and types) of a Llama 2 style vocabulary, with trainer and normalizer
// specs (skipped by the reader) and an unknown field of each wire type.
std::string small_model() {
    const std::string sp = "\xE2\x96\x81";
    std::string m = len_field(2, tag(3, 0) + varint(8000) + len_field(2, "model_prefix"));  // trainer_spec
    m += piece("<unk>", 0, 2) + piece("<s>", 0, 3) + piece("</s>", 0, 3) + piece("<0x41>", 0, 6);
    m += piece(sp, -1, 1) + piece("a", -2, 1) + piece("b", -3, 1) + piece(sp + "a", -0.5f, 1);
    m += piece("<tool>", 0, 4) + piece("<unused>", 0, 5);
    m += len_field(3, len_field(1, "identity") + tag(3, 0) + varint(1));  // normalizer_spec
    m += tag(99, 0) + varint(123456) + tag(98, 1) + std::string(8, 'x') + tag(97, 5) + std::string(4, 'y');
    return m;
}

// The ConvertError message of f(), or "(no error)".
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const ConvertError& e) {
        return e.what();
    }
    return "(no error)";
}

void check_one_line_error(const std::string& e, const std::string& file, const std::string& what) {
    INFO("error: " << e);
    CHECK(e.rfind(file, 0) == 0);
    CHECK(e.find('\n') == std::string::npos);
    CHECK_THAT(e, Catch::Contains(what));
}

std::string convert_error(const std::string& dir, VocabKind kind, int64_t n_vocab = 0) {
    return error_of([&] {
        ggml::GgufWriter w;
        giraffe::convert::add_tokenizer_metadata(dir, "llama", kind, n_vocab, w);
    });
}

const char* const kGpt2Pre = R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true})";

// A minimal GPT-2 style tokenizer.json (JSON text) with <|endoftext|> as added token 4.
std::string bpe_json(const std::string& vocab, const std::string& merges, const std::string& pre = kGpt2Pre,
                     const std::string& extra = "") {
    return R"({"added_tokens": [{"id": 4, "content": "<|endoftext|>", "special": true}], "pre_tokenizer": )" + pre +
           ", " + extra + R"("model": {"type": "BPE", "vocab": )" + vocab + R"(, "merges": )" + merges + "}}";
}

}  // namespace

TEST_CASE("convert: byte-level BPE tokenizer.json tokenizes like the tokenizers library", "[tokenizer]") {
    struct Flavor {
        const char* folder;
        const char* arch;
        const char* pre;
    };
    const Flavor flavors[] = {
        {"bpe-llama3", "llama", "llama-bpe"}, {"bpe-qwen2", "qwen2", "qwen2"}, {"bpe-gpt2", "gpt2", "gpt-2"}};
    for (const Flavor& fl : flavors) {
        DYNAMIC_SECTION(fl.folder) {
            const std::string dir = fixtures() + "/" + fl.folder;
            const Cases cases = read_cases(dir);
            const std::string path = convert(dir, fl.arch, VocabKind::Bpe, cases.n_vocab, fl.folder);
            const ggml::GgufFile f = ggml::GgufFile::open(path);
            const Tokenizer tok = Tokenizer::from_gguf(f);
            CHECK(f.get_str("tokenizer.ggml.model") == "gpt2");
            CHECK(f.get_str("tokenizer.ggml.pre") == fl.pre);
            CHECK(f.get("tokenizer.ggml.token_type").array_type() == ggml::GgufType::I32);
            CHECK(f.get("tokenizer.ggml.bos_token_id").type() == ggml::GgufType::U32);
            CHECK(!f.has("tokenizer.ggml.scores"));
            CHECK(!f.has("tokenizer.ggml.add_space_prefix"));
            CHECK(tok.n_vocab() == cases.n_vocab);
            CHECK(tok.token_type(tok.find_token("<think>")) == TokenType::UserDefined);
            CHECK(tok.token_type(tok.find_token("\xC4\xA0the")) == TokenType::Normal);  // "Ġthe"
            CHECK(!tok.add_eos());
            check_cases(tok, cases, true, fl.folder);

            const std::string name = fl.folder;
            if (name == "bpe-llama3") {
                // Template post-processor: bos added; eos from tokenizer_config.json (config.json's is a list).
                CHECK(tok.add_bos());
                CHECK(tok.bos() == tok.find_token("<|begin_of_text|>"));
                CHECK(tok.eos() == tok.find_token("<|eot_id|>"));
                CHECK(tok.token_type(tok.eos()) == TokenType::Control);
                CHECK(!f.get_bool("tokenizer.ggml.add_sep_token"));
                CHECK(f.get_str("tokenizer.chat_template").rfind("{{ bos_token }}{% for m in messages %}", 0) == 0);
            } else if (name == "bpe-qwen2") {
                // bos_token null: bos from config.json; the vocabulary is padded to config.json's vocab_size.
                CHECK(!tok.add_bos());
                CHECK(tok.bos() == tok.find_token("<|endoftext|>"));
                CHECK(tok.eos() == tok.find_token("<|im_end|>"));
                CHECK(tok.pad() == tok.find_token("<|endoftext|>"));
                CHECK(f.get_str("tokenizer.chat_template") == slurp(dir + "/chat_template.jinja"));
                const int32_t last = tok.n_vocab() - 1;
                CHECK(tok.token_text(last) == "[PAD" + std::to_string(last) + "]");
                CHECK(tok.token_type(last) == TokenType::Unused);
            } else {
                CHECK(!tok.add_bos());
                CHECK(tok.bos() == tok.find_token("<|endoftext|>"));
                CHECK(tok.eos() == tok.bos());
                CHECK(tok.unk() == tok.bos());
                CHECK(!f.has("tokenizer.chat_template"));
            }
        }
    }
}

TEST_CASE("convert: SentencePiece tokenizer.model (Llama 2 style) tokenizes like sentencepiece", "[tokenizer]") {
    const std::string dir = fixtures() + "/spm-llama";
    const Cases cases = read_cases(dir);
    const std::string path = convert(dir, "llama", VocabKind::Spm, cases.n_vocab, "spm-llama");
    const ggml::GgufFile f = ggml::GgufFile::open(path);
    const Tokenizer tok = Tokenizer::from_gguf(f);
    CHECK(f.get_str("tokenizer.ggml.model") == "llama");
    CHECK(f.get_str("tokenizer.ggml.pre") == "default");
    CHECK(!f.has("tokenizer.ggml.add_space_prefix"));
    CHECK(tok.add_space_prefix());
    CHECK(tok.add_bos());
    CHECK(!tok.add_eos());
    CHECK(tok.bos() == 1);
    CHECK(tok.eos() == 2);
    CHECK_THAT(f.get_str("tokenizer.chat_template"), Catch::Contains("[INST]"));

    // Pieces, scores and types as sentencepiece reports them, then tokenizer_config.json's added tokens:
    // <unk> <s> </s> are special (control), <think> </think> not (user-defined); both get score -1000.
    const std::vector<std::string> tokens = f.get_str_array("tokenizer.ggml.tokens");
    const std::vector<float> scores = f.get_f32_array("tokenizer.ggml.scores");
    const std::vector<int32_t> types = f.get_i32_array("tokenizer.ggml.token_type");
    std::ifstream pf(dir + "/pieces.txt");
    std::string kind, score, hex;
    size_t n = 0;
    for (; pf >> kind >> score >> hex; ++n) {
        REQUIRE(n < tokens.size());
        const std::string text = unhex(hex);
        INFO("piece " << n << " " << text);
        CHECK(tokens[n] == text);
        const bool added = n <= 2 || text == "<think>" || text == "</think>";
        int want = kind == "unknown" ? 2 : kind == "control" ? 3 : kind == "unused" ? 5 : kind == "byte" ? 6 : 1;
        if (added) want = n <= 2 ? 3 : 4;
        CHECK(types[n] == want);
        CHECK(scores[n] == (added ? -1000.0f : std::stof(score)));
    }
    CHECK(n == tokens.size());
    CHECK(tok.token_type(tok.find_token("<0x41>")) == TokenType::Byte);
    check_cases(tok, cases, false, "spm-llama");

    SECTION("padded to config.json's vocab_size") {
        const ggml::GgufFile g = ggml::GgufFile::open(convert(dir, "llama", VocabKind::Spm, cases.n_vocab + 5, "spm-pad"));
        const Tokenizer t = Tokenizer::from_gguf(g);
        REQUIRE(t.n_vocab() == cases.n_vocab + 5);
        const int32_t last = t.n_vocab() - 1;
        CHECK(t.token_text(last) == "[PAD" + std::to_string(last) + "]");
        CHECK(t.token_type(last) == TokenType::Unused);
        CHECK(t.token_score(last) == -10000.0f);
        check_cases(t, cases, false, "spm-pad");
    }
    SECTION("Gemma vocabularies add no space prefix") {
        const ggml::GgufFile g = ggml::GgufFile::open(convert(dir, "gemma3", VocabKind::Spm, cases.n_vocab, "spm-gemma"));
        CHECK(!g.get_bool("tokenizer.ggml.add_space_prefix"));
    }
}

TEST_CASE("SentencePiece: text starting with spaces keeps sentencepiece's dummy prefix", "[tokenizer]") {
    // sentencepiece always prepends "▁" (add_dummy_prefix): " Hello world" is "▁▁Hello▁world", which Llama 2
    // splits 29871 15043 3186. transformers' tokenizer of a GGUF file drops that prefix for text that
    // starts with a space; giraffe follows sentencepiece (and llama.cpp).
    const std::string dir = fixtures() + "/spm-llama";
    const Cases cases = read_cases(dir);
    const Tokenizer tok = Tokenizer::from_gguf(ggml::GgufFile::open(convert(dir, "llama", VocabKind::Spm, 0, "spm-space")));
    const int32_t space = tok.find_token("\xE2\x96\x81");
    REQUIRE(space >= 0);
    for (const char* s : {" Hello world", "  leading spaces", " ", "  ", "    ", "", " \n", " <think>"}) {
        const Case& c = find_case(cases, s);
        INFO(printable(s) << ": giraffe " << show(tok.tokenize(s, true)) << " sentencepiece " << show(c.ids));
        CHECK(tok.tokenize(s, true) == c.ids);
        CHECK(tok.detokenize(tok.tokenize(s, false)) == s);
    }
    CHECK(tok.tokenize("", false).empty());
    // Two spaces and the prefix: three '▁' in the pieces, however they are merged.
    size_t n_space = 0;
    for (int32_t id : tok.tokenize(" Hello world", false))
        for (size_t at = tok.token_text(id).find("\xE2\x96\x81"); at != std::string::npos;
             at = tok.token_text(id).find("\xE2\x96\x81", at + 3))
            ++n_space;
    CHECK(n_space == 3);
}

TEST_CASE("convert: hand-made tokenizer files give the converter's keys", "[tokenizer]") {
    SECTION("tokenizer.model: pieces, types, padding; no other files") {
        const std::string dir = fresh_dir("small-spm");
        write_file(dir + "/tokenizer.model", small_model());
        const std::vector<giraffe::convert::SpmPiece> pieces =
            giraffe::convert::parse_sentencepiece_model(small_model(), "m");
        REQUIRE(pieces.size() == 10);
        CHECK(pieces[7].piece == "\xE2\x96\x81" "a");
        CHECK(pieces[7].score == -0.5f);
        CHECK(pieces[8].type == giraffe::TokenType::UserDefined);

        const ggml::GgufFile f = ggml::GgufFile::open(convert(dir, "llama", VocabKind::Spm, 12, "small-spm"));
        CHECK(f.get_i32_array("tokenizer.ggml.token_type") == std::vector<int32_t>{2, 3, 3, 6, 1, 1, 1, 1, 1, 5, 5, 5});
        CHECK(f.get_str_array("tokenizer.ggml.tokens")[11] == "[PAD11]");
        CHECK(!f.has("tokenizer.ggml.bos_token_id"));
        const Tokenizer tok = Tokenizer::from_gguf(f);
        CHECK(tok.tokenize("a b", false) == std::vector<int32_t>{7, 4, 6});
        CHECK(tok.tokenize("A", false) == std::vector<int32_t>{4, 3});  // "▁" then byte fallback <0x41>
    }
    SECTION("tokenizer.json + tokenizer_config.json: special tokens, templates, merges") {
        const std::string dir = fresh_dir("small-bpe");
        // A pair-format merge with a space inside a part, a non-special added token spelled with '▁', a
        // template post-processor that adds <s> ... </s> while tokenizer_config's eos is another token (which
        // becomes eot), named chat templates.
        write_file(dir + "/tokenizer.json",
                   R"({"added_tokens": [{"id": 4, "content": "<|eot|>", "special": true},
                                        {"id": 5, "content": "<s>", "special": true},
                                        {"id": 6, "content": "</s>", "special": true},
                                        {"id": 7, "content": "\u2581x y", "special": false},
                                        {"id": 8, "content": "<|tool|>", "special": false}],
                       "normalizer": {"type": "Sequence", "normalizers": [{"type": "Lowercase"}]},
                       "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
                       "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}},
                                      {"SpecialToken": {"id": "</s>"}}]},
                       "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "c d": 3},
                                 "merges": [["a", "b"], ["c", " d"]]}})");
        write_file(dir + "/tokenizer_config.json",
                   R"({"bos_token": {"content": "<s>"}, "eos_token": "<|eot|>", "add_bos_token": false,
                       "chat_template": [{"name": "default", "template": "D"}, {"name": "tool use", "template": "T"}]})");
        write_file(dir + "/config.json", R"({"pad_token_id": -1, "unk_token_id": 1, "eos_token_id": 99})");
        const ggml::GgufFile f = ggml::GgufFile::open(convert(dir, "qwen2", VocabKind::Bpe, 10, "small-bpe"));
        CHECK(f.get_str("tokenizer.ggml.pre") == "gpt-2");
        CHECK(f.get_str_array("tokenizer.ggml.merges") == std::vector<std::string>{"a b", "c \xC4\xA0" "d"});
        CHECK(f.get_str_array("tokenizer.ggml.tokens")[7] == " x y");
        CHECK(f.get_i32_array("tokenizer.ggml.token_type") == std::vector<int32_t>{1, 1, 1, 1, 3, 3, 3, 4, 3, 5});
        CHECK(f.get_u32("tokenizer.ggml.bos_token_id") == 5);
        CHECK(f.get_u32("tokenizer.ggml.eos_token_id") == 6);
        CHECK(f.get_u32("tokenizer.ggml.eot_token_id") == 4);
        CHECK(f.get_u32("tokenizer.ggml.unknown_token_id") == 1);
        CHECK(!f.has("tokenizer.ggml.padding_token_id"));
        CHECK(f.get_bool("tokenizer.ggml.add_bos_token") == true);  // the post-processor wins
        CHECK(f.get_bool("tokenizer.ggml.add_eos_token") == true);
        CHECK(f.get_bool("tokenizer.ggml.normalizer.lowercase"));
        CHECK(f.get_str("tokenizer.chat_template") == "D");
        CHECK(f.get_str("tokenizer.chat_template.tool_use") == "T");
        CHECK(f.get_str_array("tokenizer.chat_templates") == std::vector<std::string>{"tool_use"});
    }
    SECTION("merges.txt when tokenizer.json has none; chat_template.jinja needs tokenizer_config.json") {
        const std::string dir = fresh_dir("merges-txt");
        write_file(dir + "/tokenizer.json", bpe_json(R"({"a": 0, "b": 1, "ab": 2, "c": 3})", "[]"));
        write_file(dir + "/merges.txt", "#version: 0.2\na b\n\nbad line here\n  c   a  \n");
        write_file(dir + "/chat_template.jinja", "J");
        const ggml::GgufFile f = ggml::GgufFile::open(convert(dir, "llama", VocabKind::Bpe, 0, "merges-txt"));
        CHECK(f.get_str_array("tokenizer.ggml.merges") == std::vector<std::string>{"a b", "c a"});
        CHECK(!f.has("tokenizer.chat_template"));
        write_file(dir + "/tokenizer_config.json", R"({"eos_token": "<|endoftext|>"})");
        const ggml::GgufFile g = ggml::GgufFile::open(convert(dir, "llama", VocabKind::Bpe, 0, "merges-txt2"));
        CHECK(g.get_str("tokenizer.chat_template") == "J");
        CHECK(g.get_u32("tokenizer.ggml.eos_token_id") == 4);
    }
}

TEST_CASE("convert: malformed tokenizer.model files give one-line errors", "[tokenizer][hostile]") {
    const std::string dir = fresh_dir("bad-spm");
    const std::string path = dir + "/tokenizer.model";
    auto spm_error = [&](const std::string& bytes) {
        write_file(path, bytes);
        return convert_error(dir, VocabKind::Spm);
    };
    const std::string ok = piece("a", 0, 1);
    check_one_line_error(spm_error(""), path, "no pieces");
    check_one_line_error(spm_error(len_field(2, "spec only")), path, "no pieces");
    check_one_line_error(spm_error(ok + "\x0a"), path, "truncated varint");
    check_one_line_error(spm_error(ok + "\x0a\xff"), path, "truncated varint");
    check_one_line_error(spm_error(ok + "\x0a" + std::string(10, '\xff') + "\x01"), path, "varint longer than 10 bytes");
    check_one_line_error(spm_error(ok + "\x0a\x64" "abc"), path, "runs past the end");
    check_one_line_error(spm_error(ok + tag(1, 2) + varint(UINT64_MAX) + "x"), path, "runs past the end");
    check_one_line_error(spm_error(len_field(1, tag(1, 2) + varint(50) + "ab")), path, "runs past the end");
    check_one_line_error(spm_error(ok + tag(5, 3)), path, "unsupported wire type 3");
    check_one_line_error(spm_error(ok + tag(1, 0) + varint(1)), path, "wire type 0, expected 2");
    check_one_line_error(spm_error(len_field(1, len_field(1, "a") + tag(2, 0) + varint(1))), path, "wire type 0, expected 5");
    check_one_line_error(spm_error(len_field(1, len_field(1, "a") + tag(2, 5) + "xy")), path, "runs past the end");
    check_one_line_error(spm_error(len_field(1, len_field(1, "a") + tag(3, 0) + varint(9))), path, "unknown type 9");
    check_one_line_error(spm_error(len_field(1, tag(2, 5) + "abcd")), path, "empty or missing piece");
    check_one_line_error(spm_error(ok + std::string(1, '\0')), path, "invalid field tag");
    check_one_line_error(spm_error(ok + varint(uint64_t(1) << 40)), path, "invalid field tag");
    const std::string empty = fresh_dir("no-spm");
    check_one_line_error(convert_error(empty, VocabKind::Spm), empty + "/tokenizer.model", "not found");

    // Random damage to a valid model: a clean error or a parse, never a crash (this runs under ASan).
    const std::string good = small_model();
    std::mt19937 rng(1234);
    int errors = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string bytes = good;
        const int kind = i % 3;
        if (kind == 0) {
            bytes.resize(rng() % bytes.size());
        } else {
            for (int k = 0; k < 1 + i % 4; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
        }
        try {
            const auto pieces = giraffe::convert::parse_sentencepiece_model(bytes, "fuzz");
            CHECK(!pieces.empty());
        } catch (const ConvertError& e) {
            ++errors;
            CHECK(std::string(e.what()).rfind("fuzz: ", 0) == 0);
        }
    }
    CHECK(errors > 100);
}

TEST_CASE("convert: malformed tokenizer JSON files give one-line errors", "[tokenizer][hostile]") {
    const std::string dir = fresh_dir("bad-json");
    const std::string tj = dir + "/tokenizer.json";
    const std::string vocab = R"({"a": 0, "b": 1, "ab": 2, "c": 3})";
    const std::string merges = R"(["a b"])";
    auto bpe_error = [&](const std::string& text, int64_t n_vocab = 0) {
        write_file(tj, text);
        return convert_error(dir, VocabKind::Bpe, n_vocab);
    };
    REQUIRE(bpe_error(bpe_json(vocab, merges)) == "(no error)");
    const std::string empty = fresh_dir("no-json");
    check_one_line_error(convert_error(empty, VocabKind::Bpe), empty + "/tokenizer.json", "not found");
    check_one_line_error(bpe_error("{\"model\": "), tj, "invalid JSON");
    check_one_line_error(bpe_error("{\"model\": \"\xff\xfe\"}"), tj, "invalid JSON");
    check_one_line_error(bpe_error("[1, 2]"), tj, "expected a JSON object");
    check_one_line_error(bpe_error("{\"x\": " + std::string(200000, '[') + std::string(200000, ']') + "}"), tj,
                         "nested more than");
    check_one_line_error(bpe_error(R"({"model": {"type": "Unigram", "vocab": []}})"), tj, "'Unigram' is not BPE");
    check_one_line_error(bpe_error(R"({"model": {"type": "BPE", "vocab": [1]}})"), tj, "model.vocab");
    check_one_line_error(bpe_error(bpe_json(R"({"a": -1})", merges)), tj, "invalid id");
    check_one_line_error(bpe_error(bpe_json(R"({"a": "0"})", merges)), tj, "invalid id");
    check_one_line_error(bpe_error(bpe_json(R"({"a": 100000000000000000000})", merges)), tj, "invalid id");
    check_one_line_error(bpe_error(bpe_json(vocab, "[[1, 2]]")), tj, "model.merges entry 0");
    check_one_line_error(bpe_error(bpe_json(vocab, "[]")), tj, "no BPE merges");
    check_one_line_error(bpe_error(bpe_json(vocab, merges), 3), tj, "past the model's vocab_size 3");
    check_one_line_error(bpe_error(bpe_json(vocab, merges), int64_t(1) << 40), tj, "vocabulary size");
    check_one_line_error(bpe_error(R"({"added_tokens": {"a": 1}, "model": {"vocab": {}}})"), tj,
                         "added_tokens is not an array");
    check_one_line_error(bpe_error(R"({"added_tokens": [{"id": 1}], "model": {"vocab": {}}})"), tj,
                         "added token 0 has no content");
    // Pre-tokenizers giraffe does not implement are named, on one line, however they are spelled.
    const std::string metaspace = bpe_json(vocab, merges, R"({"type": "Metaspace", "replacement": "x"})");
    check_one_line_error(bpe_error(metaspace), tj, "unsupported pre-tokenizer Metaspace");
    const std::string odd_split = bpe_json(vocab, merges,
        R"({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a\nb"}, "behavior": "Isolated"},
                                                  {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]})");
    check_one_line_error(bpe_error(odd_split), tj, "Sequence[Split(regex 'a?b'), ByteLevel]");
    check_one_line_error(bpe_error(bpe_json(vocab, merges, R"({"type": "ByteLevel"})")), tj, "unsupported");
    check_one_line_error(bpe_error(bpe_json(vocab, merges, R"([[[["x"]]]])")), tj, "unsupported pre-tokenizer (no type)");

    // The other files of the folder are checked too.
    write_file(tj, bpe_json(vocab, merges));
    write_file(dir + "/tokenizer_config.json", "{\"bos_token\": ");
    check_one_line_error(convert_error(dir, VocabKind::Bpe), dir + "/tokenizer_config.json", "invalid JSON");
    write_file(dir + "/tokenizer_config.json", R"({"bos_token": [[[["<s>"]]]], "post_processor": 5, "chat_template": 7})");
    write_file(dir + "/config.json", R"({"bos_token_id": {"a": 1}, "eos_token_id": -5, "text_config": 3})");
    CHECK(convert_error(dir, VocabKind::Bpe) == "(no error)");

    const std::string sdir = fresh_dir("bad-spm-json");
    write_file(sdir + "/tokenizer.model", small_model());
    write_file(sdir + "/tokenizer_config.json", R"({"added_tokens_decoder": {"x1": {"content": "<a>"}}})");
    check_one_line_error(convert_error(sdir, VocabKind::Spm), sdir + "/tokenizer_config.json", "invalid id");
    write_file(sdir + "/tokenizer_config.json", R"({"added_tokens_decoder": {"1": {"special": true}}})");
    check_one_line_error(convert_error(sdir, VocabKind::Spm), sdir + "/tokenizer_config.json", "has no content");
    write_file(sdir + "/tokenizer_config.json", R"({"added_tokens_decoder": {"99999": {"content": "<far>"}}})");
    CHECK(convert_error(sdir, VocabKind::Spm) == "(no error)");  // past the vocabulary: skipped, as the converter does
    write_file(sdir + "/added_tokens.json", R"({"<a>": -3})");
    check_one_line_error(convert_error(sdir, VocabKind::Spm), sdir + "/added_tokens.json", "invalid id");

    // Random damage to a valid tokenizer.json: a clean error or a conversion, never a crash.
    const std::string good = bpe_json(vocab, merges, kGpt2Pre, R"("post_processor": {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<|endoftext|>"}}, {"Sequence": {"id": "A"}}],
        "pair": [{"Sequence": {"id": "A"}}, {"SpecialToken": {"id": "<|endoftext|>"}}, {"Sequence": {"id": "B"}}]},)");
    fs::remove(dir + "/tokenizer_config.json");
    fs::remove(dir + "/config.json");
    REQUIRE(bpe_error(good) == "(no error)");
    std::mt19937 rng(99);
    for (int i = 0; i < 400; ++i) {
        std::string text = good;
        for (int k = 0; k < 1 + i % 3; ++k) text[rng() % text.size()] = "{}[]\",:0 -a\\"[rng() % 12];
        const std::string e = bpe_error(text);
        if (e != "(no error)") check_one_line_error(e, tj, "");
    }
}
