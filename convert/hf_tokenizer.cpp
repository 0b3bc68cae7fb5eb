// Hugging Face tokenizer files -> GGUF tokenizer metadata, with the keys, values and types that llama.cpp's
// convert_hf_to_gguf.py writes for the same folder (its _set_vocab_sentencepiece / _set_vocab_gpt2 and
// gguf-py's SpecialVocab), so that files we write tokenize the same in giraffe and in llama.cpp.
//
// The vocabulary comes from tokenizer.model (SentencePiece) or tokenizer.json (byte-level BPE); the special
// tokens (bos/eos/unk/sep/pad ids, add_bos/add_eos, chat template) from tokenizer_config.json, tokenizer.json's
// added tokens and post-processor, config.json and chat_template.jinja / chat_template.json.
//
// Where the Python converter needs a tokenizer library we cannot use, we read the files directly:
//   - the BPE pre-tokenizer is recognised from tokenizer.json's pre_tokenizer (the Python converter hashes
//     the tokens of a test string instead) and must be one giraffe implements (tokenizer_pretok.cpp);
//   - added tokens are typed from tokenizer.json's "special" flags (transformers' added_tokens_decoder).
// Every malformed file gives a one-line ConvertError naming it.
#include "convert/hf_tokenizer.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "convert/hf_config.h"
#include "convert/sentencepiece_model.h"
#include "src/tokenizer.h"

namespace giraffe::convert {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int64_t kMaxVocab = int64_t(1) << 24;          // largest vocabulary (real ones stay under 300k)
constexpr const char* kSpace = "\xE2\x96\x81";           // U+2581, SentencePiece's space

// The pre-tokenizer regexes of Llama 3 and Qwen 2 as tokenizer.json spells them (after JSON unescaping).
constexpr const char* kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

int32_t type_code(TokenType t) { return static_cast<int32_t>(t); }

// ---- files and JSON ----

bool is_file(const std::string& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

// Text from a file, for error messages: control characters become '?' so the message stays on one line,
// and long text is cut.
std::string one_line(const std::string& s, size_t max = 160) {
    std::string out = s.substr(0, max);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    return s.size() > max ? out + "..." : out;
}

// The JSON object in a file; null when the file does not exist.
json load_json_if_present(const std::string& path) { return is_file(path) ? load_json_object(path) : json(); }

// The JSON files of a checkpoint folder that the tokenizer metadata comes from, each parsed once.
struct HfFiles {
    explicit HfFiles(const std::string& d)
        : dir(d),
          tokenizer(load_json_if_present(path("tokenizer.json"))),
          tokenizer_config(load_json_if_present(path("tokenizer_config.json"))),
          config(load_json_if_present(path("config.json"))) {}
    std::string path(const char* name) const { return (fs::path(dir) / name).string(); }

    std::string dir;
    json tokenizer;         // null when a file is absent
    json tokenizer_config;
    json config;
};

const json& null_json() {
    static const json n;
    return n;
}

// j[key] when j is an object that has it, else null (Python's dict.get on a value that may be anything).
const json& get(const json& j, const char* key) {
    if (!j.is_object()) return null_json();
    const auto it = j.find(key);
    return it == j.end() ? null_json() : *it;
}

// Python's truth value of a JSON value, for the converter's "if not x" tests.
bool truthy(const json& j) {
    if (j.is_null()) return false;
    if (j.is_boolean()) return j.get<bool>();
    if (j.is_number_integer()) return j.get<int64_t>() != 0;
    if (j.is_number_float()) return j.get<double>() != 0.0;
    if (j.is_string() || j.is_array() || j.is_object()) return !j.empty();
    return true;
}

// An integer value (not a bool or float), as Python's isinstance(x, int) sees JSON numbers.
std::optional<int64_t> as_int(const json& j) {
    if (j.is_number_unsigned()) {
        const uint64_t u = j.get<uint64_t>();
        return u > uint64_t(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                                    : static_cast<int64_t>(u);
    }
    if (j.is_number_integer()) return j.get<int64_t>();
    return std::nullopt;
}

const std::string* as_str(const json& j) { return j.is_string() ? &j.get_ref<const std::string&>() : nullptr; }

// Python's a == b where a is a string: false against anything but an equal string.
bool same_string(const std::string& a, const json& b) {
    const std::string* s = as_str(b);
    return s && *s == a;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

// ---- the vocabulary ----

struct Vocab {
    std::string model, pre;
    std::vector<std::string> tokens;
    std::vector<float> scores;  // SentencePiece only
    std::vector<int32_t> types;
};

// Added tokens that the converter marks as control although their "special" flag is off (llama.cpp's
// does_token_look_special: "<|...|>" spellings, Gemma's "<unused..>" and a few named ones).
bool looks_special(const std::string& t) {
    auto starts = [&](const char* p) { return t.rfind(p, 0) == 0; };
    auto ends = [&](const char* p) {
        const size_t n = std::char_traits<char>::length(p);
        return t.size() >= n && t.compare(t.size() - n, n, p) == 0;
    };
    if (t == "<pad>" || t == "<mask>" || t == "<2mass>" || t == "[@BOS@]") return true;
    if (starts("<|") && ends("|>")) return true;
    if (starts("<\xEF\xBD\x9C") && ends("\xEF\xBD\x9C>")) return true;  // "<｜...｜>" (DeepSeek)
    return starts("<unused") && ends(">");
}

// Token type of an added token: control when special (or looking special, unless the Phi-3 converter,
// which trusts the flag alone), else user-defined, spelled with real spaces as llama.cpp expects.
void set_added(Vocab& v, size_t id, const std::string& text, bool special, bool trust_flag) {
    if (special || (!trust_flag && looks_special(text))) {
        v.tokens[id] = text;
        v.types[id] = type_code(TokenType::Control);
    } else {
        v.tokens[id] = trust_flag ? text : replace_all(text, kSpace, " ");
        v.types[id] = type_code(TokenType::UserDefined);
    }
    if (!v.scores.empty()) v.scores[id] = -1000.0f;
}

int64_t checked_vocab_size(int64_t n, const std::string& what) {
    if (n <= 0 || n > kMaxVocab)
        throw ConvertError(what + ": vocabulary size " + std::to_string(n) + " is out of range (1.." +
                           std::to_string(kMaxVocab) + ")");
    return n;
}

// An added token id from a file: ids past the vocabulary are skipped (with the converter's warning), a
// negative or non-integer id is an error.
std::optional<size_t> added_id(const json& id, size_t n_vocab, const std::string& path, const std::string& text) {
    const std::optional<int64_t> i = as_int(id);
    if (!i || *i < 0) throw ConvertError(path + ": added token '" + one_line(text) + "' has an invalid id");
    if (static_cast<uint64_t>(*i) >= n_vocab) return std::nullopt;
    return static_cast<size_t>(*i);
}

// added_tokens.json: {"text": id}, user-defined tokens of older checkpoints.
void spm_added_tokens_json(const HfFiles& f, Vocab& v) {
    const std::string path = f.path("added_tokens.json");
    const json j = load_json_if_present(path);
    for (const auto& [text, id] : j.items())
        if (const auto i = added_id(id, v.tokens.size(), path, text)) {
            v.tokens[*i] = text;
            v.scores[*i] = -1000.0f;
            v.types[*i] = type_code(TokenType::UserDefined);
        }
}

// tokenizer_config.json's added_tokens_decoder: {"id": {"content": ..., "special": ...}}.
void spm_added_tokens_decoder(const HfFiles& f, bool phi3, Vocab& v) {
    const std::string path = f.path("tokenizer_config.json");
    const json& dec = get(f.tokenizer_config, "added_tokens_decoder");
    if (!dec.is_object()) return;
    for (const auto& [key, data] : dec.items()) {
        const std::string* text = as_str(get(data, "content"));
        if (!text) throw ConvertError(path + ": added_tokens_decoder entry '" + one_line(key) + "' has no content");
        json id;
        if (!key.empty() && key.size() <= 18 && key.find_first_not_of("0123456789") == std::string::npos)
            id = std::stoll(key);
        if (const auto i = added_id(id, v.tokens.size(), path, *text))
            set_added(v, *i, *text, truthy(get(data, "special")), phi3);
    }
}

// Phi-3's converter also takes tokenizer.json's added tokens.
void spm_added_tokens_phi3(const HfFiles& f, Vocab& v) {
    const std::string path = f.path("tokenizer.json");
    const json& added = get(f.tokenizer, "added_tokens");
    if (!added.is_array()) return;
    for (const json& a : added) {
        const std::string* text = as_str(get(a, "content"));
        if (!text) throw ConvertError(path + ": an added token has no content");
        if (const auto i = added_id(get(a, "id"), v.tokens.size(), path, *text))
            set_added(v, *i, *text, truthy(get(a, "special")), true);
    }
}

// The SentencePiece vocabulary (tokenizer.model), padded with "[PAD<i>]" to n_vocab, then the added
// tokens of the other files.
Vocab spm_vocab(const HfFiles& f, const std::string& arch, int64_t n_vocab) {
    const std::string path = f.path("tokenizer.model");
    if (!is_file(path)) throw ConvertError(path + ": not found (a SentencePiece vocabulary needs it)");
    const std::vector<SpmPiece> pieces = parse_sentencepiece_model(read_checkpoint_file(path), path);
    const size_t n = static_cast<size_t>(
        checked_vocab_size(n_vocab > 0 ? n_vocab : static_cast<int64_t>(pieces.size()), path));

    Vocab v;
    v.model = "llama";
    v.pre = "default";
    v.tokens.resize(n);
    v.scores.assign(n, -10000.0f);
    v.types.assign(n, type_code(TokenType::Unused));
    for (size_t i = 0; i < n; ++i) v.tokens[i] = "[PAD" + std::to_string(i) + "]";
    // Pieces past the model's vocab_size are dropped (the converter warns and does the same).
    for (size_t i = 0; i < std::min(n, pieces.size()); ++i) {
        const SpmPiece& p = pieces[i];
        v.tokens[i] = p.piece;
        v.scores[i] = p.score;
        // sentencepiece's IsUnknown / IsControl / IsUnused / IsByte; user-defined pieces count as normal.
        switch (p.type) {
            case TokenType::Unknown: v.types[i] = type_code(TokenType::Unknown); break;
            case TokenType::Control: v.types[i] = type_code(TokenType::Control); break;
            case TokenType::Unused: v.types[i] = type_code(TokenType::Unused); break;
            case TokenType::Byte: v.types[i] = type_code(TokenType::Byte); break;
            default: v.types[i] = type_code(TokenType::Normal); break;
        }
    }
    spm_added_tokens_json(f, v);
    const bool phi3 = arch == "phi3";
    spm_added_tokens_decoder(f, phi3, v);
    if (phi3) spm_added_tokens_phi3(f, v);
    return v;
}

// ---- byte-level BPE ----

// A short description of a pre_tokenizer for the error that refuses it.
std::string describe_pre(const json& p, int depth = 0) {
    if (p.is_null()) return "none";
    const std::string* type = as_str(get(p, "type"));
    if (!type) return "(no type)";
    std::string d = one_line(*type, 40);
    if (*type == "Sequence" && depth < 3) {
        const json& list = get(p, "pretokenizers");
        d += "[";
        for (size_t i = 0; list.is_array() && i < list.size() && i < 8; ++i)
            d += (i ? ", " : "") + describe_pre(list[i], depth + 1);
        d += "]";
    } else if (*type == "Split") {
        const json& pat = get(p, "pattern");
        const std::string* rx = as_str(get(pat, "Regex"));
        const std::string* str = as_str(get(pat, "String"));
        d += rx ? "(regex '" + one_line(*rx) + "')" : str ? "(string '" + one_line(*str) + "')" : "";
    }
    return d;
}

// A ByteLevel pre-tokenizer that adds no space (missing fields take the tokenizers library's defaults:
// add_prefix_space and use_regex true).
bool is_byte_level(const json& p, bool use_regex) {
    const json& prefix = get(p, "add_prefix_space");
    const json& regex = get(p, "use_regex");
    return same_string("ByteLevel", get(p, "type")) && prefix.is_boolean() && !prefix.get<bool>() &&
           (regex.is_boolean() ? regex.get<bool>() : true) == use_regex;
}

// tokenizer.ggml.pre for a tokenizer.json pre_tokenizer giraffe implements, the name llama.cpp's converter
// gives the models that use it: GPT-2's ByteLevel regex ("gpt-2"), Llama 3's split ("llama-bpe"), Qwen 2's
// ("qwen2"). Anything else would tokenize wrongly, so it is refused.
std::string recognise_pre(const json& p, const std::string& path) {
    if (is_byte_level(p, true)) return "gpt-2";
    const json& list = get(p, "pretokenizers");
    if (same_string("Sequence", get(p, "type")) && list.is_array() && list.size() == 2 &&
        is_byte_level(list[1], false)) {
        const json& split = list[0];
        const std::string* rx = as_str(get(get(split, "pattern"), "Regex"));
        const bool isolated = same_string("Split", get(split, "type")) &&
                              same_string("Isolated", get(split, "behavior")) && !truthy(get(split, "invert"));
        if (isolated && rx && *rx == kLlama3Regex) return "llama-bpe";
        if (isolated && rx && *rx == kQwen2Regex) return "qwen2";
    }
    throw ConvertError(path + ": unsupported pre-tokenizer " + describe_pre(p) +
                       "; giraffe implements GPT-2's (ByteLevel with its regex), Llama 3's and Qwen 2's");
}

// The byte-level BPE vocabulary of tokenizer.json: model.vocab plus added_tokens, "[PAD<i>]" for unused ids
// up to n_vocab.
Vocab bpe_vocab(const HfFiles& f, int64_t n_vocab) {
    const std::string path = f.path("tokenizer.json");
    if (f.tokenizer.is_null()) throw ConvertError(path + ": not found (a byte-level BPE vocabulary needs it)");
    const json& tj = f.tokenizer;
    const json& model = get(tj, "model");
    const json& type = get(model, "type");
    if (!type.is_null() && !same_string("BPE", type))
        throw ConvertError(path + ": model type '" + (as_str(type) ? one_line(*as_str(type), 40) : "?") +
                           "' is not BPE");
    const json& vocab = get(model, "vocab");
    if (!vocab.is_object()) throw ConvertError(path + ": model.vocab is missing or not an object");

    std::unordered_map<int64_t, std::string> text;
    auto add = [&](const std::string& t, const json& id) {
        const std::optional<int64_t> i = as_int(id);
        if (!i || *i < 0 || *i >= kMaxVocab)
            throw ConvertError(path + ": token '" + one_line(t) + "' has an invalid id");
        text[*i] = t;
    };
    for (const auto& [t, id] : vocab.items()) add(t, id);
    std::unordered_map<int64_t, bool> special;  // added token id -> its special flag
    const json& added = get(tj, "added_tokens");
    if (!added.is_null() && !added.is_array()) throw ConvertError(path + ": added_tokens is not an array");
    for (size_t k = 0; added.is_array() && k < added.size(); ++k) {
        const std::string* t = as_str(get(added[k], "content"));
        if (!t) throw ConvertError(path + ": added token " + std::to_string(k) + " has no content");
        add(*t, get(added[k], "id"));
        special[*as_int(get(added[k], "id"))] = truthy(get(added[k], "special"));
    }

    const size_t n = static_cast<size_t>(
        checked_vocab_size(n_vocab > 0 ? n_vocab : static_cast<int64_t>(text.size()), path));
    Vocab v;
    v.model = "gpt2";
    v.pre = recognise_pre(get(tj, "pre_tokenizer"), path);
    v.tokens.resize(n);
    v.types.assign(n, type_code(TokenType::Unused));
    for (size_t i = 0; i < n; ++i) v.tokens[i] = "[PAD" + std::to_string(i) + "]";
    for (const auto& [id, t] : text) {
        if (static_cast<uint64_t>(id) >= n)
            throw ConvertError(path + ": token '" + one_line(t) + "' has id " + std::to_string(id) +
                               ", past the model's vocab_size " + std::to_string(n));
        const auto s = special.find(id);
        if (s != special.end()) {
            set_added(v, static_cast<size_t>(id), t, s->second, false);
        } else {
            v.tokens[id] = t;
            v.types[id] = type_code(TokenType::Normal);
        }
    }
    return v;
}

// ---- special tokens (gguf-py's SpecialVocab) ----

class SpecialVocab {
public:
    // load_merges: BPE merges from tokenizer.json or merges.txt. Ids outside [0, n_vocab) are skipped.
    SpecialVocab(const HfFiles& f, bool load_merges, size_t n_vocab)
        : f_(f), load_merges_(load_merges), n_vocab_(n_vocab), cfg_(f.tokenizer_config) {
        read_tokenizer_files();
        read_config_json();
        if (load_merges_ && merges_.empty()) read_merges_txt();
    }

    const std::vector<std::string>& merges() const { return merges_; }

    // The first id set for a type wins, as in the converter. Ids outside the vocabulary are skipped (the
    // converter skips those past it and refuses negative ones, e.g. a config.json "pad_token_id": -1).
    void set_id(const std::string& type, const json& id) {
        const std::optional<int64_t> i = as_int(id);
        if (!i || *i < 0 || static_cast<uint64_t>(*i) >= n_vocab_) return;
        for (const auto& [t, _] : ids_)
            if (t == type) return;
        ids_.emplace_back(type, *i);
    }

    void write(ggml::GgufWriter& w) const;

private:
    void read_tokenizer_files();
    void read_merges(const json& model, const std::string& path);
    void read_merges_txt();
    void read_normalizer(const json& n, int depth);
    void read_post_processor(const json& pp);
    void read_template(const json& p);
    void read_chat_template();
    void read_config_json();

    void set_add(const std::string& type, bool v, bool overwrite) {
        for (auto& [t, value] : add_)
            if (t == type) {
                if (overwrite) value = v;
                return;
            }
        add_.emplace_back(type, v);
    }
    json& cfg_entry(const char* type) { return cfg_[std::string(type) + "_token"]; }
    bool have_cfg() const { return cfg_.is_object() && !cfg_.empty(); }

    const HfFiles& f_;
    bool load_merges_;
    size_t n_vocab_;
    std::vector<std::string> types_{"bos", "eos", "unk", "sep", "pad", "cls", "mask"};
    json cfg_;          // tokenizer_config.json, amended as the converter amends it
    json added_;        // tokenizer.json's added_tokens
    json bos_, cls_, eos_, sep_;  // tokenizer_config's *_token values while the post-processor is read
    std::vector<std::pair<std::string, int64_t>> ids_;
    std::vector<std::pair<std::string, bool>> add_;
    std::vector<std::string> merges_;
    json chat_template_;  // string, or a list of {"name", "template"}
    std::optional<bool> lowercase_, strip_accents_;
};

void SpecialVocab::read_tokenizer_files() {
    const json& tok = f_.tokenizer;
    if (tok.is_object()) {
        if (load_merges_) read_merges(get(tok, "model"), f_.path("tokenizer.json"));
        read_normalizer(get(tok, "normalizer"), 0);
        added_ = get(tok, "added_tokens");
    }
    if (truthy(tok)) {
        bos_ = get(cfg_, "bos_token");
        cls_ = get(cfg_, "cls_token");
        eos_ = get(cfg_, "eos_token");
        sep_ = get(cfg_, "sep_token");
        // A classifier token stands in for a missing bos, a separator for a missing eos.
        if (!truthy(bos_) && truthy(cls_) && have_cfg()) cfg_entry("bos") = bos_ = cls_;
        if (!truthy(eos_) && truthy(sep_) && have_cfg()) cfg_entry("eos") = eos_ = sep_;
        read_post_processor(get(tok, "post_processor"));
    }
    if (!have_cfg()) return;
    read_chat_template();
    for (const std::string& type : types_) {
        const json& add = get(cfg_, ("add_" + type + "_token").c_str());
        if (add.is_boolean()) set_add(type, add.get<bool>(), false);  // the post-processor's value wins
        const json& entry = get(cfg_, (type + "_token").c_str());
        const std::string* content = entry.is_object() ? as_str(get(entry, "content")) : as_str(entry);
        if (!content || !added_.is_array()) continue;
        for (const json& a : added_)
            if (same_string(*content, get(a, "content"))) {  // the first added token with that text
                set_id(type, get(a, "id"));
                break;
            }
    }
}

void SpecialVocab::read_merges(const json& model, const std::string& path) {
    const json& m = get(model, "merges");
    if (!m.is_array() || m.empty()) return;
    const bool pairs = m[0].is_array();
    for (const json& e : m) {
        const std::string* s = as_str(e);
        if (!pairs && s) {
            merges_.push_back(*s);
        } else if (pairs && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
            // The pair format allows spaces inside a part; they are spelled U+0120 as in the string format.
            merges_.push_back(replace_all(e[0].get<std::string>(), " ", "\xC4\xA0") + " " +
                              replace_all(e[1].get<std::string>(), " ", "\xC4\xA0"));
        } else {
            throw ConvertError(path + ": model.merges entry " + std::to_string(merges_.size()) +
                               " is neither \"a b\" nor [\"a\", \"b\"]");
        }
    }
}

// merges.txt: one "a b" per line, an optional "#version" first line; malformed lines are skipped.
void SpecialVocab::read_merges_txt() {
    const std::string path = f_.path("merges.txt");
    if (!is_file(path)) return;
    const std::string text = read_checkpoint_file(path);
    const char* ws = " \t\r\n\v\f";
    bool first = true;
    for (size_t pos = 0; pos < text.size();) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        const size_t b = line.find_first_not_of(ws);
        if (std::exchange(first, false) && b != std::string::npos && line[b] == '#') continue;
        std::vector<std::string> parts;
        for (size_t i = b; i != std::string::npos && parts.size() < 3;) {
            const size_t e = line.find_first_of(ws, i);
            parts.push_back(line.substr(i, e == std::string::npos ? std::string::npos : e - i));
            i = e == std::string::npos ? e : line.find_first_not_of(ws, e);
        }
        if (parts.size() == 2) merges_.push_back(parts[0] + " " + parts[1]);
    }
}

// Lowercase / StripAccents normalizers become flags (BERT-style vocabularies); nesting is bounded so a
// hostile file cannot exhaust the stack.
void SpecialVocab::read_normalizer(const json& n, int depth) {
    const json& type = get(n, "type");
    if (same_string("Lowercase", type)) {
        lowercase_ = true;
    } else if (same_string("StripAccents", type)) {
        strip_accents_ = true;
    } else if (same_string("BertNormalizer", type)) {
        if (get(n, "lowercase").is_boolean()) lowercase_ = get(n, "lowercase").get<bool>();
        if (get(n, "strip_accents").is_boolean()) strip_accents_ = get(n, "strip_accents").get<bool>();
    } else if (same_string("Sequence", type) && depth < 8 && get(n, "normalizers").is_array()) {
        for (const json& c : get(n, "normalizers")) read_normalizer(c, depth + 1);
    }
}

// The post-processor says whether bos / eos / sep are added: ByteLevel alone adds none, RoBERTa's adds
// all three, a template adds the special tokens it starts and ends with.
void SpecialVocab::read_post_processor(const json& pp) {
    if (!truthy(pp)) return;
    const json& list = get(pp, "processors").is_null() ? json::array({pp}) : get(pp, "processors");
    if (!list.is_array()) return;
    for (const json& p : list) {
        const json& type = get(p, "type");
        if (same_string("ByteLevel", type)) {
            set_add("bos", false, false);
            set_add("eos", false, false);
        } else if (same_string("RobertaProcessing", type)) {
            set_add("bos", true, true);
            set_add("eos", true, true);
            set_add("sep", true, true);
            const json& cls = get(p, "cls");
            const json& sep = get(p, "sep");
            if (!truthy(cls_) && have_cfg()) cfg_entry("cls") = cls_ = cls.is_array() && !cls.empty() ? cls[0] : bos_;
            if (!truthy(sep_) && have_cfg()) cfg_entry("sep") = sep_ = sep.is_array() && !sep.empty() ? sep[0] : eos_;
        } else if (same_string("TemplateProcessing", type)) {
            read_template(p);
        }
    }
}

std::string template_id(const json& elem, const char* kind) {
    const std::string* s = as_str(get(get(elem, kind), "id"));
    return s ? *s : std::string();
}

// A TemplateProcessing post-processor, e.g. single = [<|begin_of_text|>, $A]: its leading special token
// is the bos that is added, its trailing one the eos (a different eos from tokenizer_config is kept as
// eot, or eom); the pair template tells whether a separator goes between two sequences.
void SpecialVocab::read_template(const json& p) {
    const json& single = get(p, "single");
    std::string first, last;
    if (single.is_array() && single.size() > 1) {
        first = template_id(single.front(), "SpecialToken");
        if (!first.empty()) {
            const bool known = same_string(first, bos_) || same_string(first, cls_);
            if (!have_cfg()) {
                bos_ = first;
            } else if (!known) {
                if (!truthy(bos_)) cfg_entry("bos") = bos_ = first;
                if (!truthy(cls_)) cfg_entry("cls") = cls_ = first;
            }
            set_add("bos", same_string(first, bos_) || same_string(first, cls_), true);
        }
        last = template_id(single.back(), "SpecialToken");
        if (!last.empty()) {
            if (!have_cfg()) {
                eos_ = last;
            } else if (!same_string(last, eos_)) {
                const bool has_eot = std::find(types_.begin(), types_.end(), "eot") != types_.end();
                const bool has_eom = std::find(types_.begin(), types_.end(), "eom") != types_.end();
                if (!has_eot || !has_eom) {
                    const char* keep = has_eot ? "eom" : "eot";
                    types_.push_back(keep);
                    cfg_entry(keep) = eos_;
                }
                cfg_entry("eos") = eos_ = last;
            }
            set_add("eos", same_string(last, eos_), true);
        }
    }
    json pair = get(p, "pair");
    if (!pair.is_array() || pair.empty()) return;
    // Strip the pair template's copies of the single template's leading and trailing tokens.
    if (!last.empty() && template_id(pair.back(), "SpecialToken") == last) pair.erase(pair.end() - 1);
    if (!first.empty() && !pair.empty() && template_id(pair.front(), "SpecialToken") == first) pair.erase(pair.begin());
    if (pair.size() < 3 || template_id(pair.front(), "Sequence") != "A" || template_id(pair.back(), "Sequence") != "B")
        return;
    // A [sep] [eos] B
    auto sep_or_eos = [&](const std::string& id) { return same_string(id, sep_) || same_string(id, eos_); };
    bool add_sep = false;
    const std::string e0 = template_id(pair[1], "SpecialToken");
    if (!e0.empty() && sep_or_eos(e0) && last.empty()) add_sep = true;
    if (pair.size() == 4) {
        const std::string e1 = template_id(pair[2], "SpecialToken");
        if (!e1.empty() && sep_or_eos(e1)) add_sep = true;
    }
    set_add("sep", add_sep, true);
    if (add_sep && !truthy(sep_) && have_cfg()) cfg_entry("sep") = eos_;
}

// A template name as a key suffix: characters other than ASCII letters and digits become '_' (one per
// character, so a multi-byte UTF-8 character gives one '_').
std::string template_key_name(const std::string& name) {
    std::string out;
    for (unsigned char c : name) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            out += static_cast<char>(c);
        else if ((c & 0xC0) != 0x80)
            out += '_';
    }
    return out;
}

void SpecialVocab::read_chat_template() {
    json alt;
    const std::string jinja = f_.path("chat_template.jinja");
    const std::string alt_json = f_.path("chat_template.json");
    if (is_file(jinja)) {
        alt = read_checkpoint_file(jinja);
        // Named extra templates (additional_chat_templates/<name>.jinja) turn it into a list.
        std::vector<fs::path> extra;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(f_.path("additional_chat_templates"), ec))
            if (e.path().extension() == ".jinja" && is_file(e.path().string())) extra.push_back(e.path());
        std::sort(extra.begin(), extra.end());
        if (!extra.empty()) {
            alt = json::array({json{{"name", "default"}, {"template", alt}}});
            for (const fs::path& p : extra)
                alt.push_back(json{{"name", p.stem().string()}, {"template", read_checkpoint_file(p.string())}});
        }
    } else if (is_file(alt_json)) {
        alt = get(load_json_object(alt_json), "chat_template");
    }
    const json& t = cfg_.contains("chat_template") ? cfg_["chat_template"] : alt;
    if (t.is_null() || t.is_string() || t.is_array()) chat_template_ = t;  // another type is ignored
}

// config.json's bos_token_id / eos_token_id / ... (or text_config's), where the tokenizer files gave none.
void SpecialVocab::read_config_json() {
    for (const std::string& type : types_) {
        const std::string key = type + "_token_id";
        const json& id = get(f_.config, key.c_str());
        set_id(type, id.is_null() ? get(get(f_.config, "text_config"), key.c_str()) : id);
    }
}

const char* id_key(const std::string& type) {
    static const std::pair<const char*, const char*> keys[] = {
        {"bos", "tokenizer.ggml.bos_token_id"},       {"eos", "tokenizer.ggml.eos_token_id"},
        {"unk", "tokenizer.ggml.unknown_token_id"},   {"sep", "tokenizer.ggml.seperator_token_id"},
        {"pad", "tokenizer.ggml.padding_token_id"},   {"mask", "tokenizer.ggml.mask_token_id"},
        {"eot", "tokenizer.ggml.eot_token_id"},       {"eom", "tokenizer.ggml.eom_token_id"},
        {"prefix", "tokenizer.ggml.prefix_token_id"}, {"suffix", "tokenizer.ggml.suffix_token_id"},
        {"middle", "tokenizer.ggml.middle_token_id"},
    };
    for (const auto& [t, k] : keys)
        if (type == t) return k;
    return nullptr;  // "cls": gguf-py has no key for it
}

void write_chat_template(const json& t, ggml::GgufWriter& w) {
    if (t.is_string()) {
        w.set("tokenizer.chat_template", ggml::GgufValue::str(t.get<std::string>()));
        return;
    }
    if (!t.is_array()) return;
    std::vector<std::string> names;
    for (const json& choice : t) {
        const std::string* name = as_str(get(choice, "name"));
        const std::string* text = as_str(get(choice, "template"));
        const std::string key = name ? template_key_name(*name) : "";
        if (key.empty() || !text) continue;
        if (key == "default") {
            w.set("tokenizer.chat_template", ggml::GgufValue::str(*text));
        } else {
            w.set("tokenizer.chat_template." + key, ggml::GgufValue::str(*text));
            if (std::find(names.begin(), names.end(), key) == names.end()) names.push_back(key);
        }
    }
    if (!names.empty()) w.set("tokenizer.chat_templates", ggml::GgufValue::array(names));
}

void SpecialVocab::write(ggml::GgufWriter& w) const {
    if (!merges_.empty()) w.set("tokenizer.ggml.merges", ggml::GgufValue::array(merges_));
    for (const auto& [type, id] : ids_)
        if (const char* key = id_key(type)) w.set(key, ggml::GgufValue::u32(static_cast<uint32_t>(id)));
    for (const auto& [type, v] : add_)
        if (type == "bos" || type == "eos" || type == "sep")
            w.set("tokenizer.ggml.add_" + type + "_token", ggml::GgufValue::boolean(v));
    write_chat_template(chat_template_, w);
    if (lowercase_) w.set("tokenizer.ggml.normalizer.lowercase", ggml::GgufValue::boolean(*lowercase_));
    if (strip_accents_) w.set("tokenizer.ggml.normalizer.strip_accents", ggml::GgufValue::boolean(*strip_accents_));
}

void write_vocab(const Vocab& v, ggml::GgufWriter& w) {
    w.set("tokenizer.ggml.model", ggml::GgufValue::str(v.model));
    w.set("tokenizer.ggml.pre", ggml::GgufValue::str(v.pre));
    w.set("tokenizer.ggml.tokens", ggml::GgufValue::array(v.tokens));
    if (!v.scores.empty()) w.set("tokenizer.ggml.scores", ggml::GgufValue::array(v.scores));
    w.set("tokenizer.ggml.token_type", ggml::GgufValue::array(v.types));
}

}  // namespace

void add_tokenizer_metadata(const std::string& dir, const std::string& arch, VocabKind kind, int64_t n_vocab,
                            ggml::GgufWriter& w) {
    const HfFiles files(dir);
    // Llama's converter passes tokenizer_config's add_prefix_space on (before the vocabulary).
    if (arch == "llama") {
        const json& prefix = get(files.tokenizer_config, "add_prefix_space");
        if (prefix.is_boolean()) w.set("tokenizer.ggml.add_space_prefix", ggml::GgufValue::boolean(prefix.get<bool>()));
    }
    const Vocab v = kind == VocabKind::Spm ? spm_vocab(files, arch, n_vocab) : bpe_vocab(files, n_vocab);
    write_vocab(v, w);

    const bool bpe = kind == VocabKind::Bpe;
    SpecialVocab special(files, bpe, v.tokens.size());
    if (bpe && special.merges().empty())
        throw ConvertError(files.path("tokenizer.json") +
                           ": no BPE merges (model.merges is empty and there is no merges.txt)");
    special.write(w);

    if (arch == "llama" && n_vocab == 32016) {  // CodeLlama's infill tokens
        const char* types[] = {"prefix", "suffix", "middle", "eot"};
        for (int i = 0; i < 4; ++i) w.set(id_key(types[i]), ggml::GgufValue::u32(32007 + i));
    }
    if (arch == "llama" && n_vocab == 49152)  // SmolLM / small Granite vocabularies add no bos
        w.set("tokenizer.ggml.add_bos_token", ggml::GgufValue::boolean(false));
    if (kind == VocabKind::Spm && (arch == "gemma" || arch == "gemma2" || arch == "gemma3"))
        w.set("tokenizer.ggml.add_space_prefix", ggml::GgufValue::boolean(false));
}

}  // namespace giraffe::convert
