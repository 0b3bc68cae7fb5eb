// SentencePiece-style BPE (tokenizer.ggml.model = "llama").
//
// The text's spaces become U+2581 '▁' (plus one leading '▁' at the start of the input when the vocabulary
// adds a space prefix, as sentencepiece's add_dummy_prefix does), the result is cut into UTF-8 characters,
// and adjacent symbols are merged, best first, while their concatenation is a piece of the vocabulary.
// "Best" is the piece's score, higher first; ties go as in the merge list transformers derives from the
// vocabulary: the longer left part, then the longer right part, then the lower piece id, then the leftmost
// position. Symbols left over that are not pieces (characters missing from the vocabulary) become one
// <0xXX> byte token per UTF-8 byte.
//
// Symbols form a doubly linked list and candidate merges sit in a priority queue; a popped candidate whose
// symbols have changed since it was pushed is stale and skipped, so the whole text takes O(n log n).
#include <cstdint>
#include <queue>
#include <string>
#include <vector>

#include "tokenizer.h"
#include "unicode.h"

namespace giraffe {

namespace {

struct Symbol {
    uint32_t begin = 0, len = 0;  // byte range in the normalized text; len 0 once merged away
    uint32_t nchars = 0;
    int32_t prev = -1, next = -1;
    int32_t id = -1;  // piece id, or -1 for a character not in the vocabulary
};

struct Candidate {
    float score;
    uint32_t nchars_l, nchars_r;
    int32_t merged;
    int32_t left;
    uint32_t len_l, len_r;  // byte lengths when pushed, to detect stale entries
};

// True when a should be popped after b (the queue pops its "largest" element first).
struct Worse {
    bool operator()(const Candidate& a, const Candidate& b) const {
        if (a.score != b.score) return a.score < b.score;
        if (a.nchars_l != b.nchars_l) return a.nchars_l < b.nchars_l;
        if (a.nchars_r != b.nchars_r) return a.nchars_r < b.nchars_r;
        if (a.merged != b.merged) return a.merged > b.merged;
        return a.left > b.left;
    }
};

}  // namespace

void Tokenizer::tokenize_spm(const std::string& raw, bool at_start, std::vector<int32_t>& out) const {
    static const char kSpace[] = "\xE2\x96\x81";
    std::string s;
    s.reserve(raw.size() + raw.size() / 4 + 3);
    // The prefix goes before the text at the very start of the input (not after a special token), also when
    // that text starts with spaces: sentencepiece (and llama.cpp) turn " Hello" into "▁▁Hello" (Llama 2:
    // 29871 15043). transformers' GGUF tokenizer (Metaspace, prepend_scheme "first") skips the prefix there;
    // sentencepiece is the reference.
    if (add_space_prefix_ && at_start && !raw.empty()) s += kSpace;
    for (char c : raw) {
        if (c == ' ')
            s += kSpace;
        else
            s += c;
    }
    if (s.empty()) return;

    const Vocab& v = *v_;
    std::vector<Symbol> sym;
    sym.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const size_t start = i;
        unicode::utf8_decode(s, i);
        Symbol x;
        x.begin = static_cast<uint32_t>(start);
        x.len = static_cast<uint32_t>(i - start);
        x.nchars = 1;
        x.prev = static_cast<int32_t>(sym.size()) - 1;
        x.next = i < s.size() ? static_cast<int32_t>(sym.size()) + 1 : -1;
        x.id = v.find(std::string_view(s.data() + start, x.len));
        sym.push_back(x);
    }

    std::priority_queue<Candidate, std::vector<Candidate>, Worse> queue;
    auto try_pair = [&](int32_t l) {
        if (l < 0) return;
        const int32_t r = sym[l].next;
        if (r < 0) return;
        const int32_t id = v.find(std::string_view(s.data() + sym[l].begin, sym[l].len + sym[r].len));
        if (id < 0 || !v.mergeable[id]) return;
        queue.push({v.merge_score[id], sym[l].nchars, sym[r].nchars, id, l, sym[l].len, sym[r].len});
    };
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(sym.size()); ++i) try_pair(i);

    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Symbol& l = sym[c.left];
        if (l.len != c.len_l || l.next < 0) continue;
        Symbol& r = sym[l.next];
        if (r.len != c.len_r) continue;
        l.len += r.len;
        l.nchars += r.nchars;
        l.id = c.merged;
        l.next = r.next;
        if (r.next >= 0) sym[r.next].prev = c.left;
        r.len = 0;
        try_pair(l.prev);
        try_pair(c.left);
    }

    for (int32_t i = 0; i >= 0; i = sym[i].next) {
        const Symbol& x = sym[i];
        if (x.id >= 0) {
            out.push_back(x.id);
            continue;
        }
        for (uint32_t k = 0; k < x.len; ++k) {
            const int32_t b = v.byte_id[static_cast<uint8_t>(s[x.begin + k])];
            if (b >= 0)
                out.push_back(b);
            else if (unk_ >= 0 && (k == 0))
                out.push_back(unk_);  // no byte tokens: one <unk> per character
        }
    }
}

}  // namespace giraffe
