// Context shift: the KV cache's bookkeeping and byte moves (KvCache::shift), and the re-rotation of the kept
// keys (rotate_keys). See kv_shift.h.
#include "kv_shift.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

#include "ggml/alloc.h"
#include "ggml/ops.h"

namespace giraffe {
namespace {

// A run of len cells whose bytes go from cell src to cell dst.
struct CellMove {
    int src, dst, len;
};

// Moves runs of cells within a cache tensor t (a row per cell, or with `transposed` a column per cell),
// as if every source were read before any destination is written; the moves' cells count from first_cell.
// A device tensor's bytes go through host memory (shifts are rare): the rows the moves touch, or the
// whole tensor for columns.
void move_cells(ggml::Tensor* t, bool transposed, std::vector<CellMove> moves, int first_cell) {
    if (moves.empty()) return;
    int lo = INT_MAX, hi = 0;
    for (CellMove& m : moves) {
        m.src += first_cell, m.dst += first_cell;
        lo = std::min(lo, std::min(m.src, m.dst));
        hi = std::max(hi, std::max(m.src, m.dst) + m.len);
    }
    const size_t span0 = transposed ? 0 : size_t(lo) * t->nb[1];
    const size_t span1 = transposed ? t->nbytes() : size_t(hi) * t->nb[1];
    const bool host = t->buffer->is_host();
    std::vector<char> copy;
    char* base;  // t's byte span0
    if (host) {
        base = static_cast<char*>(t->data) + span0;
    } else {
        copy.resize(span1 - span0);
        ggml::tensor_get(t, copy.data(), copy.size(), span0);
        base = copy.data();
    }
    // A run of cells is one piece of bytes in a row cache, and one piece per channel (row) in a transposed one.
    const size_t cell_bytes = transposed ? t->nb[0] : t->nb[1];
    const int64_t pieces = transposed ? t->ne[1] : 1;
    const size_t piece_stride = transposed ? t->nb[1] : 0;
    auto at = [&](int cell, int64_t piece) { return base + size_t(cell) * cell_bytes + size_t(piece) * piece_stride - span0; };
    std::vector<char> moving;
    for (const CellMove& m : moves)
        for (int64_t p = 0; p < pieces; p++) moving.insert(moving.end(), at(m.src, p), at(m.src, p) + size_t(m.len) * cell_bytes);
    const char* from = moving.data();
    for (const CellMove& m : moves)
        for (int64_t p = 0; p < pieces; p++) {
            std::memcpy(at(m.dst, p), from, size_t(m.len) * cell_bytes);
            from += size_t(m.len) * cell_bytes;
        }
    if (!host) ggml::tensor_set(t, copy.data(), copy.size(), span0);
}

// Cells of at most this many key bytes (as f32) are rotated by one rope node, so that the rotation's
// scratch stays small whatever the context.
constexpr size_t kRotateBytes = size_t(16) << 20;

}  // namespace

std::vector<KvCache::CellRun> KvCache::shift(int seq, int32_t keep, int32_t n_drop, int32_t n_past) {
    if (seq < 0 || seq >= n_seq_ || keep < 0 || n_drop < 1 || int64_t(keep) + n_drop > n_past || n_past > n_ctx_)
        throw std::logic_error("KvCache::shift: keep " + std::to_string(keep) + ", drop " + std::to_string(n_drop) +
                               " of " + std::to_string(n_past) + " positions");
    std::vector<CellRun> runs;
    for (int kind = 0; kind < int(kinds_.size()); kind++) {
        Ring& r = kinds_[size_t(kind)].at(size_t(seq));
        std::vector<int32_t> pos(size_t(r.size), -1);  // after the shift
        std::vector<CellMove> moves;
        if (!r.ring) {
            // Cell = position: the sinks stay, the kept tail moves down over the forgotten cells.
            for (int c = 0; c < keep; c++) pos[size_t(c)] = r.pos[size_t(c)];
            for (int c = keep; c < n_past - n_drop; c++) pos[size_t(c)] = r.pos[size_t(c + n_drop)] >= 0 ? c : -1;
            if (n_past - n_drop > keep) moves.push_back({keep + n_drop, keep, n_past - n_drop - keep});
        } else {
            // Cell = (position + offset) % size: the tail keeps its cells under an offset larger by n_drop. The
            // sinks' cells would change, so they move, when the ring still holds them, to cells that held
            // forgotten positions. A sink the ring no longer holds stays forgotten; that is exact unless the
            // window, its positions moved back, reaches it again (a context under about twice the window): the
            // sliding layers then miss sinks that a fresh session of the kept tokens would see.
            const int offset = int((int64_t(r.offset) + n_drop) % r.size);
            for (size_t c = 0; c < pos.size(); c++)
                if (r.pos[c] >= keep + n_drop) pos[c] = r.pos[c] - n_drop;
            for (int32_t p = 0; p < std::min(keep, n_past); p++) {
                const int src = r.cell_of(p), dst = int((int64_t(p) + offset) % r.size);
                if (r.pos[size_t(src)] != p || pos[size_t(dst)] >= 0) continue;  // gone, or its new cell is in use
                moves.push_back({src, dst, 1});
                pos[size_t(dst)] = p;
            }
            r.offset = offset;
        }
        for (size_t il = 0; il < layer_ring_.size(); il++) {
            if (layer_ring_[il] != kind) continue;
            move_cells(k_[il], false, moves, r.base);
            move_cells(v_[il], types_.v_trans, moves, r.base);
        }
        r.pos = std::move(pos);
        // The tail's keys were rotated for positions n_drop further on.
        for (int c = 0; c < r.size;) {
            if (r.pos[size_t(c)] < keep) {
                c++;
                continue;
            }
            const int c0 = c;
            while (c < r.size && r.pos[size_t(c)] >= keep) c++;
            runs.push_back({kind, r.base + c0, c - c0});
        }
    }
    return runs;
}

ggml::RopeParams rerotation_params(const ggml::RopeParams& decode) {
    ggml::RopeParams p = decode;
    // The rope op multiplies cos and sin by rope_mscale: together 1 here.
    p.attn_factor = 1.0f;
    p.attn_factor = 1.0f / ggml::rope_mscale(p);
    return p;
}

void rotate_keys(ggml::Scheduler& sched, ggml::Backend& host, const HParams& hp, const KvCache& kv,
                 const std::vector<KvCache::CellRun>& runs, int32_t delta, const ResolvedRope rope[2],
                 ggml::Tensor* const factors[2]) {
    if (runs.empty() || hp.n_layer == 0) return;
    ggml::Context ctx;
    std::vector<std::pair<ggml::Tensor*, std::vector<int32_t>>> ints;  // inputs and their values
    std::map<int64_t, ggml::Tensor*> positions;                         // by length: all delta
    ggml::Tensor* kind_factors[2] = {factors[0], factors[1]};
    ggml::RopeParams params[2];
    for (int kind = 0; kind < 2; kind++) {
        params[kind] = rerotation_params(rope[kind].params);
        if (!rope[kind].freq_factors.empty()) {
            kind_factors[kind] = ctx.new_tensor(ggml::Type::F32, {int64_t(rope[kind].freq_factors.size())});
            kind_factors[kind]->name = "rope_factors";
        }
    }
    const int64_t hd = hp.head_dim_k, heads = hp.n_head_kv, channels = hd * heads;
    const int64_t per_piece = std::max<int64_t>(1, int64_t(kRotateBytes / (size_t(channels) * sizeof(float))));
    ggml::Graph graph;
    for (const KvCache::CellRun& run : runs) {
        if (run.kind < 0 || run.kind > 1) throw std::logic_error("rotate_keys: unknown cell kind");
        for (int64_t c0 = run.cell; c0 < run.cell + run.len; c0 += per_piece) {
            const int64_t len = std::min<int64_t>(per_piece, run.cell + run.len - c0);
            ggml::Tensor*& pos = positions[len];
            if (!pos) {
                pos = ctx.new_tensor(ggml::Type::I32, {len});
                pos->name = "shift";
                ints.push_back({pos, std::vector<int32_t>(size_t(len), delta)});
            }
            ggml::Tensor* cells = nullptr;  // I32 cell indices, for block types (read through get_rows)
            for (int il = 0; il < hp.n_layer; il++) {
                if (kv.kind_of(il) != run.kind) continue;
                ggml::Tensor* kc = kv.k(il);
                ggml::Tensor* dst = ggml::view_2d(ctx, kc, channels, len, kc->nb[1], size_t(c0) * kc->nb[1]);
                ggml::Tensor* x;
                if (ggml::type_traits(kc->type).quantized) {
                    if (!cells) {
                        cells = ctx.new_tensor(ggml::Type::I32, {len});
                        cells->name = "cells";
                        std::vector<int32_t> idx(static_cast<size_t>(len));
                        for (int64_t i = 0; i < len; i++) idx[size_t(i)] = int32_t(c0 + i);
                        ints.push_back({cells, std::move(idx)});
                    }
                    x = ggml::get_rows(ctx, kc, cells);  // dequantized: f32 [channels, len]
                } else {
                    x = ggml::cast(ctx, dst, ggml::Type::F32);
                }
                x = ggml::rope(ctx, ggml::reshape(ctx, x, {hd, heads, len}), pos, kind_factors[run.kind], params[run.kind]);
                graph.expand(ggml::cpy(ctx, ggml::reshape(ctx, x, {channels, len}), dst));
            }
        }
    }
    if (graph.nodes.empty()) return;
    std::unique_ptr<ggml::Buffer> inputs = ggml::alloc_ctx_tensors(host, ctx);
    if (inputs) inputs->holds_inputs = true;
    for (auto& [t, values] : ints) ggml::tensor_set(t, values.data(), values.size() * sizeof(int32_t));
    for (int kind = 0; kind < 2; kind++)
        if (!rope[kind].freq_factors.empty() && kind_factors[kind]->data)
            ggml::tensor_set(kind_factors[kind], rope[kind].freq_factors.data(), rope[kind].freq_factors.size() * sizeof(float));
    sched.compute(graph);
}

}  // namespace giraffe
