// Byte-level BPE (tokenizer.ggml.model = "gpt2": GPT-2, Llama 3, Qwen 2).
//
// The text is split by the vocabulary's pre-tokenizer (tokenizer_pretok.cpp). Each piece starts as one
// symbol per byte (the token of that byte's character in GPT-2's printable byte alphabet); then the
// adjacent pair with the lowest merge rank is merged, leftmost first among equal ranks, until no pair
// of the piece has a merge. Results per piece are cached.
#include <cstdint>
#include <queue>
#include <string>
#include <vector>

#include "tokenizer.h"

namespace giraffe {

namespace {

struct Symbol {
    int32_t id;
    int32_t prev, next;
    bool alive;
};

struct Candidate {
    int32_t rank;
    int32_t left;
    int32_t id_l, id_r;  // the pair when pushed, to detect stale entries
    int32_t merged;
};

struct Worse {
    bool operator()(const Candidate& a, const Candidate& b) const {
        if (a.rank != b.rank) return a.rank > b.rank;
        return a.left > b.left;
    }
};

constexpr size_t kCacheLimit = 1 << 16;

void bpe_piece(const Tokenizer::Vocab& v, const char* bytes, size_t n, int32_t unk, std::vector<int32_t>& out) {
    std::vector<Symbol> sym(n);
    for (size_t i = 0; i < n; ++i) {
        sym[i] = {v.byte_id[static_cast<uint8_t>(bytes[i])], static_cast<int32_t>(i) - 1,
                  i + 1 < n ? static_cast<int32_t>(i) + 1 : -1, true};
    }
    std::priority_queue<Candidate, std::vector<Candidate>, Worse> queue;
    auto try_pair = [&](int32_t l) {
        if (l < 0) return;
        const int32_t r = sym[l].next;
        if (r < 0 || sym[l].id < 0 || sym[r].id < 0) return;
        const uint64_t key = (static_cast<uint64_t>(sym[l].id) << 32) | static_cast<uint32_t>(sym[r].id);
        auto it = v.merges.find(key);
        if (it == v.merges.end()) return;
        queue.push({it->second.first, l, sym[l].id, sym[r].id, it->second.second});
    };
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(n); ++i) try_pair(i);

    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Symbol& l = sym[c.left];
        if (!l.alive || l.id != c.id_l || l.next < 0) continue;
        Symbol& r = sym[l.next];
        if (r.id != c.id_r) continue;
        l.id = c.merged;
        l.next = r.next;
        if (r.next >= 0) sym[r.next].prev = c.left;
        r.alive = false;
        try_pair(l.prev);
        try_pair(c.left);
    }
    for (int32_t i = n ? 0 : -1; i >= 0; i = sym[i].next) {
        if (sym[i].id >= 0)
            out.push_back(sym[i].id);
        else if (unk >= 0)
            out.push_back(unk);
    }
}

}  // namespace

void Tokenizer::tokenize_bpe(const std::string& text, std::vector<int32_t>& out) const {
    const Vocab& v = *v_;
    std::vector<int32_t> ids;
    for (const auto& range : pre_tokenize(text, v.pre_kind)) {
        std::string piece = text.substr(range.first, range.second - range.first);
        {
            std::lock_guard<std::mutex> lock(v.cache_mutex);
            auto it = v.cache.find(piece);
            if (it != v.cache.end()) {
                out.insert(out.end(), it->second.begin(), it->second.end());
                continue;
            }
        }
        ids.clear();
        bpe_piece(v, piece.data(), piece.size(), unk_, ids);
        out.insert(out.end(), ids.begin(), ids.end());
        std::lock_guard<std::mutex> lock(v.cache_mutex);
        if (v.cache.size() >= kCacheLimit) v.cache.clear();
        v.cache.emplace(std::move(piece), ids);
    }
}

}  // namespace giraffe
