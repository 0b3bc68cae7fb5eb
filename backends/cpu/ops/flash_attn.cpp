// flash_attn: softmax(scale * q.k + mask) v per (query head, token), the scores never stored whole.
// Each (head, token) row walks the KV cells in chunks of kChunk: the chunk's scores (cells whose mask is
// -inf are skipped), an online-softmax update (running maximum M and sum S; the accumulator is rescaled by
// exp(M_old - M_new) when the maximum grows), then the chunk's values weighted into the accumulator.
// A row whose mask hides every cell gives zeros.
#include <cmath>
#include <cstring>
#include <vector>

#include "backends/cpu/ops/common.h"

namespace ggml::cpu {
namespace {

size_t type_size(Type t) { return type_traits(t).block_bytes; }  // f32, f16, bf16: one element per block

constexpr int64_t kChunk = 64;  // cells per online-softmax step

// dot(x, y) of n elements of type t at x (element stride `stride` bytes) with contiguous f32 y; tmp holds n
// floats when x must be converted first.
float dot_row(Type t, const char* x, size_t stride, int64_t n, const float* y, float* tmp) {
    if (stride == type_size(t)) {
        switch (t) {
        case Type::F32: return vec_dot_f32(n, reinterpret_cast<const float*>(x), y);
        case Type::F16: return vec_dot_f16(n, reinterpret_cast<const uint16_t*>(x), y);
        case Type::BF16: return vec_dot_bf16(n, reinterpret_cast<const uint16_t*>(x), y);
        default: break;
        }
    }
    load_f32(t, x, stride, n, tmp);
    return vec_dot_f32(n, tmp, y);
}

struct Shapes {
    const Tensor *q, *k, *v, *mask;
    float scale;
    int64_t hd_k, hd_v, n_kv, n_head, group;
};

// One (head h, token t) row into out (hd_v floats). scratch: hd_k + hd_v + kChunk + max(hd_k, hd_v, kChunk).
void attend_row(const Shapes& s, int64_t h, int64_t t, float* out, float* scratch) {
    const Tensor *q = s.q, *k = s.k, *v = s.v;
    float* qf = scratch;
    float* acc = qf + s.hd_k;
    float* w = acc + s.hd_v;
    float* tmp = w + kChunk;
    load_f32(Type::F32, row_ptr(q, t, h, 0), q->nb[0], s.hd_k, qf);
    std::fill(acc, acc + s.hd_v, 0.0f);
    const int64_t kvh = h / s.group;
    const char* kbase = static_cast<const char*>(k->data) + kvh * k->nb[2];
    const char* vbase = static_cast<const char*>(v->data) + kvh * v->nb[2];
    const float* mrow = s.mask ? reinterpret_cast<const float*>(row_ptr(s.mask, t, 0, 0)) : nullptr;
    const size_t ves = type_size(v->type);
    // Values stored transposed (a cell's channels far apart, a channel's cells adjacent): per channel, one
    // dot over the chunk's cells instead of a strided gather per cell.
    const bool v_by_channel = v->nb[1] == ves && v->nb[0] != ves;

    float M = -INFINITY, S = 0.0f;
    for (int64_t j0 = 0; j0 < s.n_kv; j0 += kChunk) {
        const int64_t nj = std::min(kChunk, s.n_kv - j0);
        float cmax = -INFINITY;
        bool any_masked = false;
        for (int64_t j = 0; j < nj; j++) {
            const float m = mrow ? mrow[j0 + j] : 0.0f;
            if (m == -INFINITY) {
                w[j] = -INFINITY;
                any_masked = true;
                continue;
            }
            const float sc = dot_row(k->type, kbase + (j0 + j) * k->nb[1], k->nb[0], s.hd_k, qf, tmp) * s.scale + m;
            w[j] = sc;
            cmax = std::max(cmax, sc);
        }
        if (cmax == -INFINITY) continue;  // every cell of the chunk hidden
        if (cmax > M) {
            const float alpha = M == -INFINITY ? 0.0f : std::exp(M - cmax);
            if (alpha != 1.0f) {
                for (int64_t d = 0; d < s.hd_v; d++) acc[d] *= alpha;
                S *= alpha;
            }
            M = cmax;
        }
        if (any_masked) {
            for (int64_t j = 0; j < nj; j++) {
                w[j] = w[j] == -INFINITY ? 0.0f : std::exp(w[j] - M);
                S += w[j];
            }
        } else {
            S += vec_exp_sum(nj, w, w, M);
        }
        if (v_by_channel) {
            for (int64_t d = 0; d < s.hd_v; d++)
                acc[d] += dot_row(v->type, vbase + d * v->nb[0] + j0 * v->nb[1], ves, nj, w, tmp);
        } else {
            for (int64_t j = 0; j < nj; j++) {
                if (w[j] == 0.0f) continue;
                const char* vr = vbase + (j0 + j) * v->nb[1];
                const float* vf = reinterpret_cast<const float*>(vr);
                if (v->type != Type::F32 || v->nb[0] != sizeof(float)) {
                    load_f32(v->type, vr, v->nb[0], s.hd_v, tmp);
                    vf = tmp;
                }
                const float wj = w[j];
                for (int64_t d = 0; d < s.hd_v; d++) acc[d] += wj * vf[d];
            }
        }
    }
    const float inv = S > 0.0f ? 1.0f / S : 0.0f;  // S == 0: every cell masked, zeros
    for (int64_t d = 0; d < s.hd_v; d++) out[d] = acc[d] * inv;
}

}  // namespace

void op_flash_attn(Tensor* dst, const OpContext& ctx) {
    Shapes s;
    s.q = dst->src[0], s.k = dst->src[1], s.v = dst->src[2], s.mask = dst->src[3];
    s.scale = dst->param<float>(0);
    s.hd_k = s.q->ne[0], s.hd_v = s.v->ne[0], s.n_kv = s.k->ne[1], s.n_head = s.q->ne[2];
    s.group = s.n_head / s.k->ne[2];
    const int64_t n_tok = s.q->ne[1], rows = s.n_head * n_tok;
    const size_t scratch_floats = size_t(s.hd_k + s.hd_v + kChunk + std::max(std::max(s.hd_k, s.hd_v), kChunk));
    // dst row r = (head r % n_head, token r / n_head): a thread's consecutive rows share a KV group.
    auto row = [&](int64_t r, float* scratch) {
        const int64_t h = r % s.n_head, t = r / s.n_head;
        attend_row(s, h, t, f32_row(dst, h, t, 0), scratch);
    };
    const int64_t work = rows * s.n_kv * (s.hd_k + s.hd_v);
    const int nth = int(std::min<int64_t>(threads_for(work, ctx.n_threads), rows));
    if (nth <= 1) {
        thread_local std::vector<float> scratch;
        if (scratch.size() < scratch_floats) scratch.resize(scratch_floats);
        for (int64_t r = 0; r < rows; r++) row(r, scratch.data());
        return;
    }
    // Rows differ in cost (a causal mask shows later tokens more cells): handed out one at a time.
#pragma omp parallel num_threads(nth)
    {
        std::vector<float> scratch(scratch_floats);
#pragma omp for schedule(dynamic, 1)
        for (int64_t r = 0; r < rows; r++) row(r, scratch.data());
    }
}

}  // namespace ggml::cpu
