// Pre-tokenizers of byte-level BPE vocabularies: hand-written matchers equivalent to the published regexes
// (leftmost match at each position, alternatives tried in order, backtracking as a regex engine would).
//
// GPT-2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
//          \s*[\r\n]+|\s+(?!\S)|\s+
// Qwen 2:  as Llama 3 with \p{N} (one digit per piece).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer.h"
#include "unicode.h"

namespace giraffe {

namespace {

class Matcher {
public:
    Matcher(const std::string& text, PreTokenizer p) : p_(p) {
        for (size_t i = 0; i < text.size();) {
            off_.push_back(i);
            const uint32_t cp = unicode::utf8_decode(text, i);
            cp_.push_back(cp);
            fl_.push_back(unicode::flags(cp));
        }
        off_.push_back(text.size());
        n_ = cp_.size();
    }

    std::vector<std::pair<size_t, size_t>> run() {
        std::vector<std::pair<size_t, size_t>> out;
        for (size_t i = 0; i < n_;) {
            const size_t j = p_ == PreTokenizer::Gpt2 ? next_gpt2(i) : next_llama3(i);
            out.emplace_back(off_[i], off_[j]);
            i = j;
        }
        return out;
    }

private:
    bool L(size_t k) const { return k < n_ && (fl_[k] & unicode::kLetter); }
    bool N(size_t k) const { return k < n_ && (fl_[k] & unicode::kNumber); }
    bool W(size_t k) const { return k < n_ && (fl_[k] & unicode::kWhitespace); }
    bool O(size_t k) const { return k < n_ && !(fl_[k] & (unicode::kLetter | unicode::kNumber | unicode::kWhitespace)); }
    bool is(size_t k, uint32_t c) const { return k < n_ && cp_[k] == c; }
    bool crlf(size_t k) const { return is(k, '\r') || is(k, '\n'); }
    uint32_t lower(size_t k) const {
        const uint32_t c = k < n_ ? cp_[k] : 0;
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    }

    // 's|'t|'re|'ve|'m|'ll|'d (case-insensitive when asked); returns the end or 0.
    size_t contraction(size_t i, bool icase) const {
        if (!is(i, '\'') || i + 1 >= n_) return 0;
        auto ch = [&](size_t k) { return icase ? lower(k) : (k < n_ ? cp_[k] : 0); };
        const uint32_t a = ch(i + 1);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        const uint32_t b = ch(i + 2);
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
        return 0;
    }

    // \s+(?!\S) then \s+, at a whitespace character i.
    size_t trailing_space(size_t i) const {
        size_t j = i;
        while (W(j)) ++j;
        if (j == n_) return j;
        if (j - i >= 2) return j - 1;
        return i + 1;
    }

    size_t next_gpt2(size_t i) const {
        if (size_t e = contraction(i, false)) return e;
        const size_t s = is(i, ' ') ? i + 1 : i;  // the optional leading space
        for (int cls = 0; cls < 3; ++cls) {
            auto in = [&](size_t k) { return cls == 0 ? L(k) : cls == 1 ? N(k) : O(k); };
            size_t j = in(s) ? s : (in(i) ? i : n_ + 1);
            if (j > n_) continue;
            while (in(j)) ++j;
            return j;
        }
        return trailing_space(i);  // i is whitespace here
    }

    size_t next_llama3(size_t i) const {
        if (size_t e = contraction(i, true)) return e;
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (L(i)) {
            size_t j = i;
            while (L(j)) ++j;
            return j;
        }
        if (!crlf(i) && !N(i) && L(i + 1)) {
            size_t j = i + 1;
            while (L(j)) ++j;
            return j;
        }
        // \p{N}{1,3} (Qwen 2: \p{N})
        if (N(i)) {
            const size_t max = p_ == PreTokenizer::Qwen2 ? 1 : 3;
            size_t j = i;
            while (j - i < max && N(j)) ++j;
            return j;
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        {
            const size_t s = (is(i, ' ') && O(i + 1)) ? i + 1 : i;
            if (O(s)) {
                size_t j = s;
                while (O(j)) ++j;
                while (crlf(j)) ++j;
                return j;
            }
        }
        // \s*[\r\n]+ : up to the last line break in the run of whitespace
        size_t j = i;
        size_t last_break = n_;
        while (W(j)) {
            if (crlf(j)) last_break = j;
            ++j;
        }
        if (last_break < n_) return last_break + 1;
        return trailing_space(i);
    }

    PreTokenizer p_;
    std::vector<uint32_t> cp_;
    std::vector<uint8_t> fl_;
    std::vector<size_t> off_;
    size_t n_ = 0;
};

}  // namespace

std::vector<std::pair<size_t, size_t>> pre_tokenize(const std::string& text, PreTokenizer p) {
    return Matcher(text, p).run();
}

std::vector<std::string> pre_tokenize_strings(const std::string& text, PreTokenizer p) {
    std::vector<std::string> out;
    for (const auto& r : pre_tokenize(text, p)) out.push_back(text.substr(r.first, r.second - r.first));
    return out;
}

}  // namespace giraffe
