#include "kv_cache.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "ggml/alloc.h"

namespace giraffe {
namespace {

constexpr int kPad = 32;  // n_kv grows in steps of this: decode re-plans memory every 32 tokens, and short
                          // contexts do not attend to hundreds of empty cells

int ring_cells(const HParams& hp, int n_ctx, int n_ubatch) {
    return std::min(n_ctx, hp.sliding_window + n_ubatch);
}

}  // namespace

KvCache::KvCache(const HParams& hp, int n_ctx, int n_ubatch, const KvTypes& types,
                 const std::vector<ggml::Backend*>& layer_backends, int n_seq)
    : n_ctx_(n_ctx), n_seq_(n_seq), types_(types), kinds_(2) {
    check_types(hp, types);
    if (layer_backends.size() != size_t(hp.n_layer)) throw std::logic_error("KvCache: one backend per layer expected");
    if (n_seq < 1 || int64_t(n_seq) * n_ctx > (int64_t(1) << 28))
        throw std::invalid_argument(std::to_string(n_seq) + " sequences of " + std::to_string(n_ctx) + " positions are out of range");
    Ring kind[2];
    kind[0].size = n_ctx;
    kind[1].size = ring_cells(hp, n_ctx, n_ubatch);
    kind[1].ring = kind[1].size < n_ctx;
    kind[1].window = hp.sliding_window;
    for (int k = 0; k < 2; k++)
        for (int s = 0; s < n_seq; s++) {
            Ring r = kind[k];
            r.base = s * r.size;
            r.pos.assign(size_t(r.size), -1);
            kinds_[size_t(k)].push_back(std::move(r));
        }
    for (int il = 0; il < hp.n_layer; il++) {
        const int ri = hp.is_swa(il) ? 1 : 0;
        layer_ring_.push_back(ri);
        const int64_t cells = int64_t(kind[ri].size) * n_seq;
        const int64_t v_channels = int64_t(hp.head_dim_v) * hp.n_head_kv;
        ggml::Tensor* k = ctx_.new_tensor(types.k, {int64_t(hp.head_dim_k) * hp.n_head_kv, cells});
        ggml::Tensor* v = types.v_trans ? ctx_.new_tensor(types.v, {cells, v_channels})
                                        : ctx_.new_tensor(types.v, {v_channels, cells});
        k->name = "cache_k_l" + std::to_string(il);
        v->name = "cache_v_l" + std::to_string(il);
        k_.push_back(k);
        v_.push_back(v);
    }
    // One buffer per backend, holding the cells of the layers it runs.
    for (size_t il = 0; il < layer_backends.size(); il++) {
        ggml::Backend* b = layer_backends[il];
        if (!b || k_[il]->data) continue;
        std::vector<ggml::Tensor*> mine;
        for (size_t j = il; j < layer_backends.size(); j++)
            if (layer_backends[j] == b) mine.insert(mine.end(), {k_[j], v_[j]});
        bufs_.push_back(ggml::alloc_tensors(*b, mine));
    }
    clear();
}

void KvCache::clear_seq(int seq) {
    for (auto& kind : kinds_) {
        Ring& r = kind.at(size_t(seq));
        std::fill(r.pos.begin(), r.pos.end(), -1);
        r.offset = 0;
    }
}

int32_t KvCache::truncate(int seq, int32_t n, int32_t n_past) {
    if (n <= 0) {
        clear_seq(seq);
        return 0;
    }
    for (auto& kind : kinds_) {
        const Ring& r = kind.at(size_t(seq));
        if (!r.ring) continue;
        // The window that position n attends: [n - W, n) (all of [0, n) when shorter), every one still held.
        for (int32_t p = std::max<int32_t>(0, n - r.window); p < std::min(n, n_past); p++)
            if (r.pos[size_t(r.cell_of(p))] != p) {
                clear_seq(seq);
                return 0;
            }
    }
    for (auto& kind : kinds_)
        for (int32_t& p : kind[size_t(seq)].pos)
            if (p >= n) p = -1;
    return n;
}

void KvCache::clear() {
    for (int s = 0; s < n_seq_; s++) clear_seq(s);
    // Empty cells are masked, but 0 * NaN is NaN: start from zeros, never from stale bytes.
    std::vector<char> zeros;
    for (size_t i = 0; i < k_.size(); i++)
        for (ggml::Tensor* t : {k_[i], v_[i]}) {
            zeros.assign(t->nbytes(), 0);
            ggml::tensor_set(t, zeros.data(), zeros.size());
        }
}

void KvCache::commit(int seq, int32_t p0, int n) {
    for (auto& kind : kinds_) {
        Ring& r = kind.at(size_t(seq));
        for (int i = 0; i < n; i++) r.pos[size_t(r.cell_of(p0 + i))] = p0 + i;
    }
}

int KvCache::n_attend(const Ring& r, int32_t p_end) const {
    if (r.offset != 0) return r.size;  // a shifted ring's cells in use are anywhere
    const int used = std::min(r.size, int(p_end));
    return std::min(r.size, (used + kPad - 1) / kPad * kPad);
}

void KvCache::fill_mask(const Ring& r, int32_t p0, int n, int n_kv, float* out) const {
    const float ninf = -std::numeric_limits<float>::infinity();
    for (int i = 0; i < n; i++) {
        const int32_t q = p0 + i;
        for (int c = 0; c < n_kv; c++) {
            const int32_t k = r.pos[size_t(c)];
            const bool visible = k >= 0 && k <= q && (r.window == 0 || q - k < r.window);
            out[size_t(i) * size_t(n_kv) + size_t(c)] = visible ? 0.0f : ninf;
        }
    }
}

size_t KvCache::bytes() const {
    size_t n = 0;
    for (size_t i = 0; i < k_.size(); i++) n += k_[i]->nbytes() + v_[i]->nbytes();
    return n;
}

size_t KvCache::estimate_bytes(const HParams& hp, int n_ctx, int n_ubatch, const KvTypes& types, int n_seq) {
    size_t n = 0;
    for (int il = 0; il < hp.n_layer; il++) {
        const int64_t cells = int64_t(hp.is_swa(il) ? ring_cells(hp, n_ctx, n_ubatch) : n_ctx) * n_seq;
        n += size_t(cells) * (ggml::row_size(types.k, int64_t(hp.head_dim_k) * hp.n_head_kv) +
                              ggml::row_size(types.v, int64_t(hp.head_dim_v) * hp.n_head_kv));
    }
    return n;
}

void KvCache::check_types(const HParams& hp, const KvTypes& types) {
    auto check = [&](ggml::Type t, int head_dim, const char* what) {
        const int64_t block = ggml::type_traits(t).block_size;
        if (head_dim % block != 0)
            throw std::invalid_argument(std::string(what) + " cache type " + ggml::type_name(t) + " needs head sizes in whole blocks of " +
                                        std::to_string(block) + "; this model's is " + std::to_string(head_dim));
    };
    check(types.k, hp.head_dim_k, "K");
    check(types.v, hp.head_dim_v, "V");
    if (types.v_trans && ggml::type_traits(types.v).block_size != 1)
        throw std::invalid_argument(std::string("V cache type ") + ggml::type_name(types.v) + " needs flash attention (drop -fa off)");
}

}  // namespace giraffe
