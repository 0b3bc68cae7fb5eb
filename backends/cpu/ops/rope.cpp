// rope: rotary position embedding (Su et al. 2021) with linear, YaRN and per-pair frequency scaling.
#include <cmath>
#include <cstring>
#include <vector>

#include "backends/cpu/ops/common.h"
#include "ggml/ops.h"

namespace ggml::cpu {
namespace {

// Pair index at which a dimension completes `n_rot` rotations over the original context (YaRN).
float corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base) {
    return float(n_dims) * std::log(float(n_ctx_orig) / (n_rot * 2.0f * float(M_PI))) / (2.0f * std::log(base));
}

// cos and sin (times the attention factor) per token and pair: everything a rope call needs besides its
// input. They depend on the positions, the parameters and the frequency factors only, so a decode step's
// calls that share those (Q and K of every layer of one kind: Gemma 3 makes 36 calls and 2 distinct
// tables per token) take a remembered table instead of ~3 transcendental functions per pair (~5 us a call).
struct AngleTable {
    int32_t params[kMaxParams] = {};
    std::vector<float> factors;
    std::vector<int32_t> pos;
    std::vector<float> cs;  // [token][pair] (cos, sin)
};

void fill_angles(const RopeParams& p, const float* ff, const int32_t* pos, int64_t n_tok, int n_threads, float* cs) {
    const int half = p.n_dims / 2;
    float low = 0, high = 0;
    const float mscale = rope_mscale(p);
    if (p.ext_factor != 0.0f) {
        low = std::max(0.0f, std::floor(corr_dim(p.n_dims, p.n_ctx_orig, p.beta_fast, p.freq_base)));
        high = std::min(float(p.n_dims - 1), std::ceil(corr_dim(p.n_dims, p.n_ctx_orig, p.beta_slow, p.freq_base)));
    }
    // Per pair: inverse frequency and the YaRN mix between interpolated and extrapolated angles.
    std::vector<float> inv_freq(static_cast<size_t>(half)), mix(static_cast<size_t>(half), 0.0f);
    for (int i = 0; i < half; i++) {
        inv_freq[size_t(i)] = std::pow(p.freq_base, -2.0f * float(i) / float(p.n_dims)) / (ff ? ff[i] : 1.0f);
        if (p.ext_factor != 0.0f) {
            const float y = (float(i) - low) / std::max(0.001f, high - low);
            mix[size_t(i)] = (1.0f - std::min(1.0f, std::max(0.0f, y))) * p.ext_factor;
        }
    }
    auto tokens = [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; t++) {
            const float position = float(pos[t]);
            for (int i = 0; i < half; i++) {
                const float extrap = position * inv_freq[size_t(i)];
                const float interp = extrap * p.freq_scale;
                const float theta = interp * (1.0f - mix[size_t(i)]) + extrap * mix[size_t(i)];
                cs[size_t(t * half + i) * 2] = std::cos(theta) * mscale;
                cs[size_t(t * half + i) * 2 + 1] = std::sin(theta) * mscale;
            }
        }
    };
    const int nth = threads_for(n_tok * half * 16, n_threads);
    ggml::parallel_run(nth, [&](int ith, int n) { tokens(n_tok * ith / n, n_tok * (ith + 1) / n); });
}

// The table for this call: one of the last few made on this thread when its key matches, else made anew.
const float* angles(const Tensor* dst, const RopeParams& p, const OpContext& ctx) {
    constexpr int kTables = 4;  // a model's layer kinds (Gemma 3: two) with room to spare
    thread_local AngleTable tables[kTables];
    thread_local int next = 0;
    const Tensor* ff = dst->src[2];
    const int32_t* pos = static_cast<const int32_t*>(dst->src[1]->data);
    const int64_t n_tok = dst->src[0]->ne[2];
    const int half = p.n_dims / 2;
    const float* fv = ff ? static_cast<const float*>(ff->data) : nullptr;
    for (AngleTable& t : tables) {
        if (std::memcmp(t.params, dst->params, sizeof t.params) != 0 || t.pos.size() != size_t(n_tok) ||
            t.factors.size() != (fv ? size_t(half) : 0) || t.cs.empty())
            continue;
        if (std::memcmp(t.pos.data(), pos, size_t(n_tok) * sizeof(int32_t)) != 0) continue;
        if (fv && std::memcmp(t.factors.data(), fv, size_t(half) * sizeof(float)) != 0) continue;
        return t.cs.data();
    }
    AngleTable& t = tables[next];
    next = (next + 1) % kTables;
    std::memcpy(t.params, dst->params, sizeof t.params);
    t.pos.assign(pos, pos + n_tok);
    t.factors.assign(fv, fv ? fv + half : fv);
    t.cs.resize(size_t(n_tok * half) * 2);
    fill_angles(p, fv, pos, n_tok, ctx.n_threads, t.cs.data());
    return t.cs.data();
}

}  // namespace

void op_rope(Tensor* dst, const OpContext& ctx) {
    const Tensor* a = dst->src[0];
    const RopeParams p = rope_params(dst);
    const int half = p.n_dims / 2;
    const bool neox = p.mode == RopeMode::Neox;
    const int64_t head_dim = a->ne[0];
    const float* cs = angles(dst, p, ctx);
    for_each_row(dst, ctx.n_threads, [&](int64_t h, int64_t t, int64_t i3, float* scratch) {
        const float* x = f32_row_view(a, h, t, i3, scratch);
        float* y = f32_row(dst, h, t, i3);
        const float* ct = cs + size_t(t * half) * 2;
        for (int i = 0; i < half; i++) {
            const float c = ct[2 * i], s = ct[2 * i + 1];
            const int64_t j0 = neox ? i : 2 * i, j1 = neox ? i + half : 2 * i + 1;
            const float x0 = x[j0], x1 = x[j1];
            y[j0] = x0 * c - x1 * s;
            y[j1] = x0 * s + x1 * c;
        }
        for (int64_t i = p.n_dims; i < head_dim; i++) y[i] = x[i];
    }, size_t(head_dim));
}

}  // namespace ggml::cpu
