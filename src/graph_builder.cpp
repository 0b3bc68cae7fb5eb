#include "graph_builder.h"

#include <cmath>
#include <stdexcept>

namespace giraffe::blocks {

using ggml::Tensor;

Tensor* rms_norm(GraphInputs& in, Tensor* x, Tensor* w) {
    return ggml::mul(in.ctx, ggml::rms_norm(in.ctx, x, in.model.hparams().norm_eps), w);
}

Tensor* linear(GraphInputs& in, Tensor* w, Tensor* x, Tensor* b) {
    Tensor* y = ggml::mul_mat(in.ctx, w, x);
    return b ? ggml::add(in.ctx, y, b) : y;
}

Tensor* embed(GraphInputs& in) {
    const HParams& hp = in.model.hparams();
    Tensor* x = ggml::get_rows(in.ctx, in.model.weights().tok_embd, in.tokens);
    return hp.embd_scale != 1.0f ? ggml::scale(in.ctx, x, hp.embd_scale) : x;
}

Qkv qkv(GraphInputs& in, const LayerWeights& l, Tensor* x) {
    ggml::Context& c = in.ctx;
    const HParams& hp = in.model.hparams();
    const int64_t hd_k = hp.head_dim_k, hd_v = hp.head_dim_v, n = x->ne[1];
    if (!l.wqkv)
        return {ggml::reshape(c, linear(in, l.wq, x, l.bq), {hd_k, hp.n_head, n}),
                ggml::reshape(c, linear(in, l.wk, x, l.bk), {hd_k, hp.n_head_kv, n}),
                ggml::reshape(c, linear(in, l.wv, x, l.bv), {hd_v, hp.n_head_kv, n})};
    // Each token's column of the product holds its Q, K and V rows in turn: views, no copies (rope reads
    // strided input; attention makes the values contiguous as it writes them to the cache).
    Tensor* t = ggml::mul_mat(c, l.wqkv, x);  // [q + k + v, n]
    const size_t f = t->nb[0], q_rows = size_t(hd_k * hp.n_head), k_rows = size_t(hd_k * hp.n_head_kv);
    return {ggml::view_3d(c, t, hd_k, hp.n_head, n, size_t(hd_k) * f, t->nb[1], 0),
            ggml::view_3d(c, t, hd_k, hp.n_head_kv, n, size_t(hd_k) * f, t->nb[1], q_rows * f),
            ggml::view_3d(c, t, hd_v, hp.n_head_kv, n, size_t(hd_v) * f, t->nb[1], (q_rows + k_rows) * f)};
}

Tensor* rope(GraphInputs& in, int il, Tensor* x) {
    const LayerRope& r = in.rope[in.model.hparams().is_swa(il) ? 1 : 0];
    return ggml::rope(in.ctx, x, in.pos, r.freq_factors, r.params);
}

namespace {

// Copies the micro-batch's keys or values, src [channels, n], into the cache cells of each run's
// positions (splitting where a ring wraps) and returns the last copy node, which later reads of the cache
// must follow. Each copy's destination follows the one before (many runs cannot all be a view's sources).
// A row cache is [channels, cells] (a cell per row); a transposed cache is [cells, channels] (a cell per
// column), so the copy writes columns.
Tensor* write_cells(GraphInputs& in, int il, Tensor* cache, Tensor* src, bool transposed) {
    Tensor* last = nullptr;
    for (size_t ri = 0; ri < in.runs.size(); ri++) {
        const SeqRun& run = in.runs[ri];
        const KvCache::Ring& r = in.kv.ring_of(il, run.seq);
        for (int done = 0; done < run.n;) {
            const int cell = r.base + r.cell_of(run.p0 + done);
            const int len = std::min(run.n - done, r.base + r.size - cell);
            Tensor* part = ggml::view_2d(in.ctx, src, src->ne[0], len, src->nb[1], size_t(run.first + done) * src->nb[1]);
            const size_t stride = transposed ? cache->nb[0] : cache->nb[1];
            Tensor* dst = transposed
                ? ggml::view_2d(in.ctx, cache, len, cache->ne[1], cache->nb[1], size_t(cell) * stride)
                : ggml::view_2d(in.ctx, cache, cache->ne[0], len, cache->nb[1], size_t(cell) * stride);
            if (last) dst->src[1] = last;
            last = ggml::cpy(in.ctx, transposed ? ggml::transpose(in.ctx, part) : part, dst);
            in.cell_writes.push_back({dst, last, &r, int(ri), done, cache->view_offset, stride});
            done += len;
        }
    }
    return last;
}

// A view that must be read only after the write `last`.
Tensor* after(Tensor* view, Tensor* last) {
    view->src[1] = last;
    return view;
}

}  // namespace

Tensor* attention(GraphInputs& in, int il, Tensor* q, Tensor* k, Tensor* v, float scale) {
    ggml::Context& c = in.ctx;
    const HParams& hp = in.model.hparams();
    const int kind = hp.is_swa(il) ? 1 : 0;
    const int64_t hd_k = hp.head_dim_k, hd_v = hp.head_dim_v, n_kv_head = hp.n_head_kv, n = in.n_tokens;

    Tensor* kc = in.kv.k(il);
    Tensor* vc = in.kv.v(il);
    const bool v_trans = in.kv.types().v_trans;
    auto matrix = [&](Tensor* t, int64_t rows) {
        return ggml::reshape(c, t->is_contiguous() ? t : ggml::cont(c, t), {rows, n});
    };
    Tensor* k_written = write_cells(in, il, kc, matrix(k, hd_k * n_kv_head), false);
    Tensor* v_written = write_cells(in, il, vc, matrix(v, hd_v * n_kv_head), v_trans);

    // Keys [hd, n_kv, kv heads] and values [hd_v, n_kv, kv heads] read straight from the cache (a head's
    // channels of a cell are adjacent: whole blocks for the block types). With several sequences the
    // views span every sequence's cells and each token's kv_start picks its own.
    Tensor* kv_start = in.kv_start[kind];
    const int64_t n_kv = kv_start ? kc->ne[1] : in.mask[kind]->ne[0];
    Tensor* keys = after(ggml::view_3d(c, kc, hd_k, n_kv, n_kv_head, kc->nb[1], ggml::row_size(kc->type, hd_k), 0), k_written);
    Tensor* vals_t = nullptr;  // transposed values [n_kv, hd_v, kv heads], when the cache keeps them so
    Tensor* vals;              // [hd_v, n_kv, kv heads]
    if (v_trans) {
        vals_t = after(ggml::view_3d(c, vc, n_kv, hd_v, n_kv_head, vc->nb[1], vc->nb[1] * size_t(hd_v), 0), v_written);
        vals = ggml::permute(c, vals_t, 1, 0, 2, 3);
    } else {
        vals = after(ggml::view_3d(c, vc, hd_v, n_kv, n_kv_head, vc->nb[1], ggml::row_size(vc->type, hd_v), 0), v_written);
    }

    if (in.flash_attn != FlashAttn::Off) {  // q as [hd, n, heads]: a view, no copy
        Tensor* out = ggml::flash_attn(c, ggml::permute(c, q, 0, 2, 1, 3), keys, vals, in.mask[kind], scale, kv_start);  // [hd_v, heads, n]
        return ggml::reshape(c, out, {hd_v * hp.n_head, n});
    }
    if (kv_start) throw std::logic_error("attention: several sequences need flash attention");
    // The product below wants each channel's cells adjacent: [n_kv, hd_v, kv heads].
    if (!vals_t) vals_t = ggml::cont(c, ggml::permute(c, vals, 1, 0, 2, 3));

    // Grouped-query attention: the `group` query heads that share a KV head are rows of one product, so
    // their keys and values are read once per group instead of once per head (decode: one 8-row product
    // in place of 8 matrix-vector ones). Head h = kv * group + g; row g * n + t of a group is token t of
    // head g, and soft_max repeats the n mask rows over the group.
    const int64_t group = hp.n_head / n_kv_head;
    Tensor* qp = ggml::permute(c, q, 0, 2, 1, 3);                                        // [hd, n, heads]
    qp = ggml::reshape(c, qp->is_contiguous() ? qp : ggml::cont(c, qp), {hd_k, n * group, n_kv_head});

    // Long prefills: the scores of all `group` heads at once (n_kv x n*group x kv floats) outgrow the
    // caches and soft_max and the value product stream them from memory. Then the group's heads go in
    // chunks of `per` heads whose scores fit in.scores_budget bytes (TinyLlama, 512 tokens at depth 2048:
    // pp 154 -> 187 tokens/s); each chunk's output [hd_v, n, per, kv] is laid out as [hd_v, per, kv, n]
    // and the chunks are joined along the head-in-group dimension.
    int64_t per = group;
    while (per > 1 && double(n_kv) * double(n * per) * double(n_kv_head) * 4.0 > double(in.scores_budget)) {
        int64_t d = per - 1;
        while (group % d) d--;
        per = d;
    }
    Tensor* joined = nullptr;  // [hd_v, heads so far in each group, kv, n]
    for (int64_t g0 = 0; g0 < group; g0 += per) {
        Tensor* qc = per == group ? qp : ggml::view_3d(c, qp, hd_k, n * per, n_kv_head, qp->nb[1], qp->nb[2], size_t(g0 * n) * qp->nb[1]);
        Tensor* scores = ggml::mul_mat(c, keys, qc);                                      // [n_kv, n*per, kv]
        scores = ggml::soft_max(c, scores, in.mask[kind], scale);
        Tensor* out = ggml::mul_mat(c, vals_t, scores);                                     // [hd_v, n*per, kv]
        out = ggml::permute(c, ggml::reshape(c, out, {hd_v, n, per, n_kv_head}), 0, 3, 1, 2);  // [hd_v, per, kv, n]
        joined = joined ? ggml::concat(c, joined, out, 1) : out;
    }
    if (!joined->is_contiguous()) joined = ggml::cont(c, joined);
    return ggml::reshape(c, joined, {hd_v * hp.n_head, n});
}

Tensor* gated_ffn(GraphInputs& in, const LayerWeights& l, Tensor* x, ggml::GluOp act) {
    ggml::Context& c = in.ctx;
    Tensor *g, *u;
    if (l.ffn_gate) {
        g = ggml::mul_mat(c, l.ffn_gate, x);
        u = ggml::mul_mat(c, l.ffn_up, x);
    } else {  // fused: the two halves of each token's column, as views (glu reads any strides)
        Tensor* gu = ggml::mul_mat(c, l.ffn_up, x);  // [2 n_ff, n]
        const int64_t n_ff = gu->ne[0] / 2;
        g = ggml::view_2d(c, gu, n_ff, gu->ne[1], gu->nb[1], 0);
        u = ggml::view_2d(c, gu, n_ff, gu->ne[1], gu->nb[1], size_t(n_ff) * gu->nb[0]);
    }
    return ggml::mul_mat(c, l.ffn_down, ggml::glu(c, g, u, act));
}

Tensor* logits(GraphInputs& in, Tensor* x) {
    if (in.out_rows)
        x = ggml::get_rows(in.ctx, x, in.out_rows);
    else if (!in.all_logits && in.n_tokens > 1)
        x = ggml::view_2d(in.ctx, x, x->ne[0], 1, x->nb[1], size_t(in.n_tokens - 1) * x->nb[1]);
    const Weights& w = in.model.weights();
    return ggml::mul_mat(in.ctx, w.output, rms_norm(in, x, w.output_norm));
}

}  // namespace giraffe::blocks

namespace giraffe {

void move_cell_writes(const std::vector<CellWrite>& writes, const std::vector<SeqRun>& runs) {
    for (const CellWrite& w : writes) {
        const KvCache::Ring& r = *w.ring;
        const size_t offset = w.base + size_t(r.base + r.cell_of(runs[size_t(w.run)].p0 + w.done)) * w.stride;
        w.dst->view_offset = w.copy->view_offset = offset;
    }
}

}  // namespace giraffe
