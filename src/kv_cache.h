// The KV cache of one sequence. Each layer's cache follows its attention kind: full layers keep a cell per
// position (n_ctx cells); sliding-window layers keep a ring of W + n_ubatch cells, so their memory stops
// growing with the context. Cells remember their positions, and the cache builds each micro-batch's masks.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "ggml/backend.h"
#include "hparams.h"

namespace giraffe {

class KvCache {
public:
    // layer_backends[il]: where layer il's cells live (the backend that runs the layer's attention).
    KvCache(const HParams& hp, int n_ctx, int n_ubatch, ggml::Type type, const std::vector<ggml::Backend*>& layer_backends);

    // Cells of one attention kind.
    struct Ring {
        int size = 0;            // cells
        bool ring = false;       // positions wrap around (sliding layers whose window is below n_ctx)
        int window = 0;          // W for sliding layers, 0 for full attention
        std::vector<int32_t> pos;  // position held by each cell, -1 when empty
        int cell_of(int32_t p) const { return ring ? int(p % size) : int(p); }
    };

    void clear();
    int n_ctx() const { return n_ctx_; }
    // Records that positions [p0, p0 + n) are being written (before computing the micro-batch).
    void commit(int32_t p0, int n);
    // Cells that attention reads for a micro-batch ending at position p_end (exclusive); padded so the
    // graph shape (and its memory plan) changes rarely.
    int n_attend(const Ring& r, int32_t p_end) const;
    // Additive mask [n_kv, n] (0 or -inf) for queries at positions p0..p0+n-1.
    void fill_mask(const Ring& r, int32_t p0, int n, int n_kv, float* out) const;

    const Ring& ring_of(int il) const { return kinds_[size_t(layer_ring_[size_t(il)])]; }
    ggml::Tensor* k(int il) const { return k_[size_t(il)]; }  // [head_dim_k * n_head_kv, cells]
    ggml::Tensor* v(int il) const { return v_[size_t(il)]; }  // transposed: [cells, head_dim_v * n_head_kv]
    size_t bytes() const;
    // Bytes a cache of this shape would take (for `giraffe info`).
    static size_t estimate_bytes(const HParams& hp, int n_ctx, int n_ubatch, ggml::Type type);

private:
    int n_ctx_;
    std::vector<Ring> kinds_;         // [0] full, [1] sliding
    std::vector<int> layer_ring_;     // per layer: index into kinds_
    ggml::Context ctx_;
    std::vector<ggml::Tensor*> k_, v_;
    std::vector<std::unique_ptr<ggml::Buffer>> bufs_;  // one per backend holding layers
};

}  // namespace giraffe
