// The KV cache of n_seq sequences. Each layer's cache follows its attention kind: full layers keep a cell
// per position (n_ctx cells); sliding-window layers keep a ring of W + n_ubatch cells, so their memory
// stops growing with the context. Each sequence has cells of its own (sequence s: cells [s * size,
// (s + 1) * size) of every layer of a kind), so a sequence's attention reads a contiguous span and never
// looks at another's. Cells remember their positions, and the cache builds each micro-batch's masks.
// Keys and values each have an element type: f32, f16, bf16, or a GGUF block type (q8_0, q4_0, q5_0, ...)
// whose blocks run along a cell's channels, so the attention reads them in place.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "ggml/backend.h"
#include "hparams.h"

namespace giraffe {

struct KvTypes {
    ggml::Type k = ggml::Type::F16, v = ggml::Type::F16;
    // Values stored transposed (a channel's cells adjacent), for the unfused attention's product; the fused
    // attention (and any block type) wants a cell's channels adjacent, like the keys.
    bool v_trans = false;
};

class KvCache {
public:
    // layer_backends[il]: where layer il's cells live (the backend that runs the layer's attention).
    KvCache(const HParams& hp, int n_ctx, int n_ubatch, const KvTypes& types,
            const std::vector<ggml::Backend*>& layer_backends, int n_seq = 1);

    // One sequence's cells of one attention kind.
    struct Ring {
        int base = 0;            // the first cell (global index in the layer's cache)
        int size = 0;            // cells
        bool ring = false;       // positions wrap around (sliding layers whose window is below n_ctx)
        int window = 0;          // W for sliding layers, 0 for full attention
        std::vector<int32_t> pos;  // position held by each cell, -1 when empty
        // Rings only: positions moved back by context shifts (0 .. size-1), so that cells stay put while
        // their positions change.
        int offset = 0;
        // The cell holding position p, counted from base.
        int cell_of(int32_t p) const { return ring ? int((int64_t(p) + offset) % size) : int(p); }
    };

    void clear();
    void clear_seq(int seq);
    // Forgets positions >= n of a sequence that holds n_past. Returns n, or 0 (the sequence cleared) when
    // its ring no longer holds every position of the window before n (later positions overwrote them).
    int32_t truncate(int seq, int32_t n, int32_t n_past);
    int n_ctx() const { return n_ctx_; }
    int n_seq() const { return n_seq_; }
    // Records that positions [p0, p0 + n) of a sequence are being written (before computing the micro-batch).
    void commit(int seq, int32_t p0, int n);
    // Cells that attention reads for a micro-batch ending at position p_end (exclusive); padded so the
    // graph shape (and its memory plan) changes rarely.
    int n_attend(const Ring& r, int32_t p_end) const;
    // Additive mask [n_kv, n] (0 or -inf) over the ring's cells from its base, for queries at positions
    // p0..p0+n-1.
    void fill_mask(const Ring& r, int32_t p0, int n, int n_kv, float* out) const;

    // A context shift (StreamingLLM, kv_shift.cpp) of one sequence: with n_past positions cached, forgets positions
    // [keep, keep + n_drop) and moves those after back by n_drop. Full caches move the kept cells' bytes
    // down; rings keep their cells and change their offset (moving only the first `keep` cells, the
    // attention sinks, while the ring still holds them). Returns the cells whose keys must now be rotated
    // by -n_drop positions (Session::shift does it).
    struct CellRun {
        int kind;  // index of the Ring: 0 full, 1 sliding (layers with is_swa)
        int cell, len;  // global cells
    };
    std::vector<CellRun> shift(int seq, int32_t keep, int32_t n_drop, int32_t n_past);
    int kind_of(int il) const { return layer_ring_[size_t(il)]; }
    const Ring& ring(int kind, int seq = 0) const { return kinds_[size_t(kind)][size_t(seq)]; }

    const Ring& ring_of(int il, int seq = 0) const { return ring(layer_ring_[size_t(il)], seq); }
    ggml::Tensor* k(int il) const { return k_[size_t(il)]; }  // [head_dim_k * n_head_kv, cells]
    // [head_dim_v * n_head_kv, cells], or transposed [cells, head_dim_v * n_head_kv] when types().v_trans
    ggml::Tensor* v(int il) const { return v_[size_t(il)]; }
    const KvTypes& types() const { return types_; }
    size_t bytes() const;
    // Bytes a cache of this shape would take (for `giraffe info`).
    static size_t estimate_bytes(const HParams& hp, int n_ctx, int n_ubatch, const KvTypes& types, int n_seq = 1);
    // Throws a one-line error when the model cannot keep its cache in these types (a block type needs
    // head sizes that are whole blocks; transposed values cannot be blocks).
    static void check_types(const HParams& hp, const KvTypes& types);

private:
    int n_ctx_, n_seq_;
    KvTypes types_;
    std::vector<std::vector<Ring>> kinds_;  // [0] full, [1] sliding; then per sequence
    std::vector<int> layer_ring_;     // per layer: index into kinds_
    ggml::Context ctx_;
    std::vector<ggml::Tensor*> k_, v_;
    std::vector<std::unique_ptr<ggml::Buffer>> bufs_;  // one per backend holding layers
};

}  // namespace giraffe
