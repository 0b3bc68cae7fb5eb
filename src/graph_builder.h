// What an architecture's build() gets, and the shared blocks it builds from: norms, projections, RoPE
// with the layer's settings, attention over the KV cache, gated feed-forward.
#pragma once
#include "ggml/ops.h"
#include "kv_cache.h"
#include "model.h"

namespace giraffe {

// RoPE settings of one attention kind, resolved from RopeScaling (see rope.cpp).
struct LayerRope {
    ggml::RopeParams params;
    ggml::Tensor* freq_factors = nullptr;
};

// The micro-batch's tokens [first, first + n) are sequence seq's positions p0 .. p0 + n - 1.
struct SeqRun {
    int seq, first, n;
    int32_t p0;
};

// One write of new keys or values into cache cells: the destination view and the copy node (a view of
// the same bytes), whose offsets follow the run's first position. A reused decode graph (Session) moves
// them to the next tokens' cells with move_cell_writes.
struct CellWrite {
    ggml::Tensor* dst;
    ggml::Tensor* copy;
    const KvCache::Ring* ring;  // the run's sequence's
    int run;        // index into GraphInputs::runs
    int done;       // the piece's first token within the run
    size_t base;    // the cache's offset in its bytes' owner
    size_t stride;  // bytes from one cell to the next in the cache
};
// Points each write at the cells of its run starting at position p0[run] (pieces as built: one token
// never splits at the ring's end).
void move_cell_writes(const std::vector<CellWrite>& writes, const std::vector<SeqRun>& runs);

// Whether attention runs as one fused op (ggml::flash_attn: no scores matrix in memory). Auto: on (Off keeps
// the unfused soft_max path with a transposed V cache, for float caches only).
enum class FlashAttn { Auto, On, Off };

struct GraphInputs {
    ggml::Context& ctx;
    const Model& model;
    KvCache& kv;
    int n_tokens;            // micro-batch size
    std::vector<SeqRun> runs;  // which sequence's positions the tokens are, in order
    bool all_logits;         // logits for every token, or only the last
    ggml::Tensor* tokens;    // I32 [n_tokens]
    ggml::Tensor* pos;       // I32 [n_tokens]
    ggml::Tensor* mask[2];   // F32 [n_kv, n_tokens] for full (0) and sliding (1) layers
    // With several sequences in the cache: I32 [n_tokens], the first cell of each token's sequence, from
    // which its mask row counts (flash_attn's kv_start); null with one.
    ggml::Tensor* kv_start[2];
    // I32 [rows]: the tokens whose logits are wanted; null: the last one, or all with all_logits.
    ggml::Tensor* out_rows;
    LayerRope rope[2];       // for full (0) and sliding (1) layers
    size_t scores_budget = size_t(32) << 20;  // SessionParams::attn_scores_bytes
    FlashAttn flash_attn = FlashAttn::Auto;
    std::vector<CellWrite> cell_writes = {};  // filled by attention()
};

namespace blocks {

// x * rsqrt(mean(x^2) + eps) * w
ggml::Tensor* rms_norm(GraphInputs& in, ggml::Tensor* x, ggml::Tensor* w);
// w x (+ b)
ggml::Tensor* linear(GraphInputs& in, ggml::Tensor* w, ggml::Tensor* x, ggml::Tensor* b = nullptr);
// Token embeddings for the micro-batch, F32 [n_embd, n_tokens].
ggml::Tensor* embed(GraphInputs& in);
// Queries [head_dim_k, n_head, n_tokens], keys [head_dim_k, n_head_kv, n_tokens] and values [head_dim_v,
// n_head_kv, n_tokens] of x: three products (plus the biases a layer has), or with a fused wqkv (Q, K then V
// rows) one product viewed three ways.
struct Qkv {
    ggml::Tensor *q, *k, *v;
};
Qkv qkv(GraphInputs& in, const LayerWeights& l, ggml::Tensor* x);
// RoPE of x [head_dim, heads, n_tokens] with the settings of layer il's attention kind.
ggml::Tensor* rope(GraphInputs& in, int il, ggml::Tensor* x);
// Writes k, v [head_dim, n_head_kv, n_tokens] into layer il's cache and attends q [head_dim, n_head,
// n_tokens] over the cached keys with the layer's mask; returns [head_dim_v * n_head, n_tokens].
ggml::Tensor* attention(GraphInputs& in, int il, ggml::Tensor* q, ggml::Tensor* k, ggml::Tensor* v, float scale);
// down(act(gate x) * (up x)). Without ffn_gate, ffn_up holds the gate's rows then the up projection's (Phi-3):
// one product whose two halves are the gate and the up values.
ggml::Tensor* gated_ffn(GraphInputs& in, const LayerWeights& l, ggml::Tensor* x, ggml::GluOp act);
// Keeps only the rows whose logits are wanted (out_rows, or the last one unless all_logits), then norm + output.
ggml::Tensor* logits(GraphInputs& in, ggml::Tensor* x);

}  // namespace blocks
}  // namespace giraffe
