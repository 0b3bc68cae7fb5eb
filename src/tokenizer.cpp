// Tokenizer: loading the vocabulary from GGUF metadata, special tokens, the tokenize driver,
// detokenization and the streaming decoder. The two merge algorithms live in tokenizer_spm.cpp and
// tokenizer_bpe.cpp, the byte-level pre-tokenizer in tokenizer_pretok.cpp.
#include "tokenizer.h"

#include <cstdio>

#include "ggml/gguf.h"
#include "unicode.h"

namespace giraffe {

namespace {

// Texts of end-of-turn / end-of-generation tokens in common vocabularies, in order of preference for eot.
const char* const kEotTexts[] = {"<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>", "<|end_of_turn|>"};
const char* const kEogTexts[] = {"<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>",
                                 "<|end_of_turn|>", "<|endoftext|>", "<|end_of_text|>", "<EOT>"};

bool all_whitespace_with_space(const std::string& t) {
    if (t.empty() || t.find(' ') == std::string::npos) return false;
    for (size_t i = 0; i < t.size();) {
        if (!unicode::is_whitespace(unicode::utf8_decode(t, i))) return false;
    }
    return true;
}

size_t count_chars(const std::string& t) {
    size_t n = 0;
    for (size_t i = 0; i < t.size(); ++n) unicode::utf8_decode(t, i);
    return n;
}

// Spells raw bytes' alphabet characters back into bytes; characters outside the alphabet stay as they are.
std::string decode_byte_alphabet(const std::string& t) {
    std::string out;
    out.reserve(t.size());
    for (size_t i = 0; i < t.size();) {
        const size_t start = i;
        const uint32_t cp = unicode::utf8_decode(t, i);
        const int b = unicode::cp_to_byte(cp);
        if (b >= 0)
            out += static_cast<char>(b);
        else
            out.append(t, start, i - start);
    }
    return out;
}

bool in_byte_alphabet(const std::string& t) {
    for (size_t i = 0; i < t.size();) {
        if (unicode::cp_to_byte(unicode::utf8_decode(t, i)) < 0) return false;
    }
    return true;
}

}  // namespace

// ---- SpecialTrie ----

void SpecialTrie::add(const std::string& text, int32_t id, bool always_match) {
    if (text.empty()) return;
    int32_t node = 0;
    for (unsigned char c : text) {
        const uint64_t key = (static_cast<uint64_t>(node) << 8) | c;
        auto it = edges.find(key);
        if (it == edges.end()) {
            const int32_t child = static_cast<int32_t>(token.size());
            token.push_back(-1);
            always.push_back(0);
            edges.emplace(key, child);
            node = child;
        } else {
            node = it->second;
        }
    }
    if (token[node] < 0) {  // the first token with a given text wins
        token[node] = id;
        always[node] = always_match ? 1 : 0;
    }
}

size_t SpecialTrie::match(const std::string& text, size_t pos, bool parse_special, int32_t& id) const {
    size_t best = 0;
    int32_t node = 0;
    for (size_t i = pos; i < text.size(); ++i) {
        auto it = edges.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(text[i]));
        if (it == edges.end()) break;
        node = it->second;
        if (token[node] >= 0 && (parse_special || always[node])) {
            best = i + 1 - pos;
            id = token[node];
        }
    }
    return best;
}

// ---- loading ----

Tokenizer Tokenizer::from_gguf(const ggml::GgufFile& f) {
    const std::string& path = f.path();
    auto fail = [&](const std::string& what) -> TokenizerError { return TokenizerError(path + ": " + what); };

    Tokenizer t;
    auto v = std::make_shared<Vocab>();
    v->model = f.get_str("tokenizer.ggml.model");
    if (v->model == "llama") {
        t.kind_ = TokenizerKind::Spm;
    } else if (v->model == "gpt2") {
        t.kind_ = TokenizerKind::Bpe;
    } else {
        throw fail("unsupported tokenizer model '" + v->model +
                   "' (tokenizer.ggml.model); supported: 'llama' (SentencePiece BPE), 'gpt2' (byte-level BPE)");
    }
    v->pre = f.get_str("tokenizer.ggml.pre", "");
    const std::string arch = f.get_str("general.architecture", "");

    v->text = f.get_str_array("tokenizer.ggml.tokens");
    const size_t n = v->text.size();
    if (n == 0) throw fail("key 'tokenizer.ggml.tokens' is an empty array");
    if (n > 0x7FFFFFFF) throw fail("key 'tokenizer.ggml.tokens' has too many entries");

    if (f.has("tokenizer.ggml.scores")) {
        v->score = f.get_f32_array("tokenizer.ggml.scores");
        if (v->score.size() != n)
            throw fail("key 'tokenizer.ggml.scores' has " + std::to_string(v->score.size()) + " entries, expected " +
                       std::to_string(n));
    } else {
        v->score.assign(n, 0.0f);
    }
    v->type.assign(n, TokenType::Normal);
    if (f.has("tokenizer.ggml.token_type")) {
        const std::vector<int32_t> tt = f.get_i32_array("tokenizer.ggml.token_type");
        if (tt.size() != n)
            throw fail("key 'tokenizer.ggml.token_type' has " + std::to_string(tt.size()) + " entries, expected " +
                       std::to_string(n));
        for (size_t i = 0; i < n; ++i) {
            if (tt[i] < 0 || tt[i] > 6)
                throw fail("key 'tokenizer.ggml.token_type': token " + std::to_string(i) + " has unknown type " +
                           std::to_string(tt[i]));
            v->type[i] = static_cast<TokenType>(tt[i]);
        }
    }

    auto token_id = [&](const char* key) -> int32_t {
        if (!f.has(key)) return -1;
        const int64_t id = f.get_i64(key);
        if (id < 0 || static_cast<size_t>(id) >= n)
            throw fail(std::string("key '") + key + "': token id " + std::to_string(id) + " is out of range (n_vocab " +
                       std::to_string(n) + ")");
        return static_cast<int32_t>(id);
    };
    t.bos_ = token_id("tokenizer.ggml.bos_token_id");
    t.eos_ = token_id("tokenizer.ggml.eos_token_id");
    t.unk_ = token_id("tokenizer.ggml.unknown_token_id");
    t.pad_ = token_id("tokenizer.ggml.padding_token_id");
    t.eot_ = token_id("tokenizer.ggml.eot_token_id");
    const int32_t eom = token_id("tokenizer.ggml.eom_token_id");
    t.add_bos_ = f.get_bool("tokenizer.ggml.add_bos_token", t.kind_ == TokenizerKind::Spm);
    t.add_eos_ = f.get_bool("tokenizer.ggml.add_eos_token", false);
    t.add_space_prefix_ =
        t.kind_ == TokenizerKind::Spm && f.get_bool("tokenizer.ggml.add_space_prefix", true);

    // Gemma 1-3 files: a token of spaces is stored with real spaces but is an ordinary piece spelled with
    // '▁' (it is produced by merging, not matched in the raw text), and the merge priority of every piece
    // is its position in the vocabulary (transformers' reading of these files, which we follow).
    const bool gemma = t.kind_ == TokenizerKind::Spm && (arch == "gemma" || arch == "gemma2" || arch == "gemma3");

    v->lookup.reserve(n + 64);
    for (size_t i = 0; i < n; ++i) v->lookup.emplace(std::string_view(v->text[i]), static_cast<int32_t>(i));

    size_t n_alias = 0;
    if (gemma)
        for (size_t i = 0; i < n; ++i)
            if (v->type[i] == TokenType::UserDefined && all_whitespace_with_space(v->text[i])) ++n_alias;
    v->aliases.reserve(n_alias);  // never grown past this: the lookup holds views into it
    std::vector<uint8_t> aliased(n, 0);
    if (gemma) {
        for (size_t i = 0; i < n; ++i) {
            if (v->type[i] != TokenType::UserDefined || !all_whitespace_with_space(v->text[i])) continue;
            std::string a;
            for (size_t k = count_chars(v->text[i]); k > 0; --k) a += "\xE2\x96\x81";
            v->aliases.push_back(std::move(a));
            v->lookup.emplace(std::string_view(v->aliases.back()), static_cast<int32_t>(i));
            aliased[i] = 1;
        }
    }

    // Special tokens cut out of the text before tokenizing.
    const bool bpe = t.kind_ == TokenizerKind::Bpe;
    for (size_t i = 0; i < n; ++i) {
        const std::string& s = v->text[i];
        if (v->type[i] == TokenType::Control) {
            // In a byte-level vocabulary a control token spelled outside the alphabet is a mislabel.
            if (!bpe || in_byte_alphabet(s)) v->specials.add(s, static_cast<int32_t>(i), false);
        } else if (v->type[i] == TokenType::UserDefined && !aliased[i]) {
            v->specials.add(s, static_cast<int32_t>(i), true);
        }
    }

    for (int b = 0; b < 256; ++b) v->byte_id[b] = -1;
    if (!bpe) {
        for (int b = 0; b < 256; ++b) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            const int32_t id = v->find(name);
            if (id >= 0 && v->type[id] == TokenType::Byte) v->byte_id[b] = id;
        }
        v->merge_score.resize(n);
        v->mergeable.resize(n);
        for (size_t i = 0; i < n; ++i) {
            v->merge_score[i] = gemma ? -static_cast<float>(i) : v->score[i];
            v->mergeable[i] = v->type[i] == TokenType::Normal || v->type[i] == TokenType::Undefined || aliased[i];
        }
    } else {
        for (int b = 0; b < 256; ++b) v->byte_id[b] = v->find(unicode::utf8_encode(unicode::byte_to_cp(b)));
        const std::string& pre = v->pre;
        if (pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe" || pre == "falcon3" || pre == "falcon-h1" ||
            pre == "pixtral" || pre == "dbrx" || pre == "smaug-bpe" || pre == "midm-2.0" || pre == "lfm2")
            v->pre_kind = PreTokenizer::Llama3;
        else if (pre == "qwen2" || pre == "deepseek-r1-qwen" || pre == "megrez")
            v->pre_kind = PreTokenizer::Qwen2;
        else
            v->pre_kind = PreTokenizer::Gpt2;  // "default", "gpt2", and (as transformers does) anything else
        const std::vector<std::string>& merges = f.get_str_array("tokenizer.ggml.merges");
        v->merges.reserve(merges.size());
        std::string joined;
        for (size_t r = 0; r < merges.size(); ++r) {
            const std::string& m = merges[r];
            const size_t sp = m.find(' ', 1);
            if (sp == std::string::npos) continue;
            const int32_t a = v->find(std::string_view(m).substr(0, sp));
            const int32_t b = v->find(std::string_view(m).substr(sp + 1));
            joined.assign(m, 0, sp);
            joined.append(m, sp + 1, std::string::npos);
            const int32_t ab = v->find(joined);
            if (a < 0 || b < 0 || ab < 0) continue;
            const uint64_t key = (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b);
            v->merges.emplace(key, std::make_pair(static_cast<int32_t>(r), ab));
        }
    }

    // End of turn / end of generation.
    auto find_control = [&](const char* s) -> int32_t {
        const int32_t id = v->find(s);
        return id >= 0 && (v->type[id] == TokenType::Control || v->type[id] == TokenType::UserDefined) ? id : -1;
    };
    if (t.eot_ < 0)
        for (const char* s : kEotTexts)
            if ((t.eot_ = find_control(s)) >= 0) break;
    auto add_eog = [&](int32_t id) {
        if (id < 0) return;
        for (int32_t e : t.eog_)
            if (e == id) return;
        t.eog_.push_back(id);
    };
    add_eog(t.eos_);
    add_eog(t.eot_);
    add_eog(eom);
    for (const char* s : kEogTexts) add_eog(find_control(s));

    t.v_ = std::move(v);
    return t;
}

// ---- accessors ----

int32_t Tokenizer::n_vocab() const { return static_cast<int32_t>(v_->text.size()); }
const std::string& Tokenizer::model_name() const { return v_->model; }
const std::string& Tokenizer::pre_name() const { return v_->pre; }

static void check_id(const Tokenizer& t, int32_t id) {
    if (id < 0 || id >= t.n_vocab())
        throw TokenizerError("token id " + std::to_string(id) + " is out of range (n_vocab " +
                             std::to_string(t.n_vocab()) + ")");
}

const std::string& Tokenizer::token_text(int32_t id) const {
    check_id(*this, id);
    return v_->text[id];
}
TokenType Tokenizer::token_type(int32_t id) const {
    check_id(*this, id);
    return v_->type[id];
}
float Tokenizer::token_score(int32_t id) const {
    check_id(*this, id);
    return v_->score[id];
}
int32_t Tokenizer::find_token(const std::string& text) const { return v_->find(text); }

bool Tokenizer::is_special(int32_t id) const {
    if (id < 0 || id >= n_vocab()) return false;
    const TokenType ty = v_->type[id];
    return ty == TokenType::Control || ty == TokenType::UserDefined || ty == TokenType::Unknown;
}

bool Tokenizer::is_eog(int32_t id) const {
    for (int32_t e : eog_)
        if (e == id) return true;
    return false;
}

// ---- tokenize ----

std::vector<Tokenizer::Fragment> Tokenizer::split_special(const std::string& text, bool parse_special) const {
    std::vector<Fragment> out;
    size_t start = 0;
    for (size_t i = 0; i < text.size();) {
        int32_t id = -1;
        const size_t len = v_->specials.match(text, i, parse_special, id);
        if (len == 0) {
            ++i;
            continue;
        }
        if (i > start) out.push_back({start, i, -1});
        out.push_back({i, i + len, id});
        i += len;
        start = i;
    }
    if (start < text.size()) out.push_back({start, text.size(), -1});
    return out;
}

std::vector<int32_t> Tokenizer::tokenize(const std::string& text, bool add_special, bool parse_special) const {
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 4);
    if (add_special && add_bos_ && bos_ >= 0) out.push_back(bos_);
    for (const Fragment& fr : split_special(text, parse_special)) {
        if (fr.id >= 0) {
            out.push_back(fr.id);
            continue;
        }
        const std::string piece = text.substr(fr.begin, fr.end - fr.begin);
        if (kind_ == TokenizerKind::Spm)
            tokenize_spm(piece, fr.begin == 0, out);
        else
            tokenize_bpe(piece, out);
    }
    if (add_special && add_eos_ && eos_ >= 0) out.push_back(eos_);
    return out;
}

// ---- detokenize ----

std::string Tokenizer::token_to_piece(int32_t id, bool render_special) const {
    check_id(*this, id);
    const std::string& s = v_->text[id];
    switch (v_->type[id]) {
        case TokenType::Control:
        case TokenType::Unknown:
            if (!render_special) return {};
            return kind_ == TokenizerKind::Bpe ? decode_byte_alphabet(s) : s;
        case TokenType::Byte:
            if (kind_ == TokenizerKind::Spm && s.size() == 6 && s.compare(0, 3, "<0x") == 0)
                return std::string(1, static_cast<char>(std::stoi(s.substr(3, 2), nullptr, 16)));
            break;
        case TokenType::UserDefined:
            if (kind_ == TokenizerKind::Spm) return s;
            break;
        default:
            break;
    }
    if (kind_ == TokenizerKind::Bpe) return decode_byte_alphabet(s);
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s.compare(i, 3, "\xE2\x96\x81") == 0) {
            out += ' ';
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string Tokenizer::detokenize(const std::vector<int32_t>& ids, bool render_special) const {
    std::string out;
    bool first = true;
    for (int32_t id : ids) {
        std::string p = token_to_piece(id, render_special);
        if (first && v_->type[id] != TokenType::Control) {
            first = false;
            if (add_space_prefix_ && !p.empty() && p[0] == ' ' && !is_special(id)) p.erase(0, 1);
        }
        out += p;
    }
    return out;
}

// ---- StreamDecoder ----

namespace {
// Re-encodes buf[0, n) with invalid bytes replaced by U+FFFD.
std::string sanitize(const std::string& buf, size_t n) {
    if (n == buf.size() && unicode::utf8_valid(buf)) return buf;
    const std::string head = buf.substr(0, n);
    std::string out;
    out.reserve(n + 8);
    for (size_t i = 0; i < head.size();) unicode::utf8_append(out, unicode::utf8_decode(head, i));
    return out;
}
}  // namespace

std::string StreamDecoder::push(int32_t id) {
    std::string p = tok_->token_to_piece(id, render_special_);
    if (first_ && tok_->token_type(id) != TokenType::Control) {
        first_ = false;
        if (tok_->add_space_prefix() && !p.empty() && p[0] == ' ' && !tok_->is_special(id)) p.erase(0, 1);
    }
    pending_ += p;
    const size_t hold = unicode::utf8_incomplete_tail(pending_);
    const size_t ready = pending_.size() - hold;
    std::string out = sanitize(pending_, ready);
    pending_.erase(0, ready);
    return out;
}

std::string StreamDecoder::flush() {
    std::string out = sanitize(pending_, pending_.size());
    pending_.clear();
    first_ = true;
    return out;
}

}  // namespace giraffe
