// rope: rotary position embedding (Su et al. 2021) with linear, YaRN and per-pair frequency scaling.
#include <cmath>
#include <vector>

#include "backends/cpu/ops/common.h"
#include "ggml/ops.h"

namespace ggml::cpu {
namespace {

// Pair index at which a dimension completes `n_rot` rotations over the original context (YaRN).
float corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base) {
    return float(n_dims) * std::log(float(n_ctx_orig) / (n_rot * 2.0f * float(M_PI))) / (2.0f * std::log(base));
}

}  // namespace

void op_rope(Tensor* dst, const OpContext& ctx) {
    const Tensor* a = dst->src[0];
    const int32_t* pos = static_cast<const int32_t*>(dst->src[1]->data);
    const Tensor* ff = dst->src[2];
    const RopeParams p = rope_params(dst);
    const int half = p.n_dims / 2;
    const bool neox = p.mode == RopeMode::Neox;

    float low = 0, high = 0, mscale = p.attn_factor;
    if (p.ext_factor != 0.0f) {
        low = std::max(0.0f, std::floor(corr_dim(p.n_dims, p.n_ctx_orig, p.beta_fast, p.freq_base)));
        high = std::min(float(p.n_dims - 1), std::ceil(corr_dim(p.n_dims, p.n_ctx_orig, p.beta_slow, p.freq_base)));
        mscale *= 1.0f + 0.1f * std::log(1.0f / p.freq_scale);
    }
    // Per pair: inverse frequency and the YaRN mix between interpolated and extrapolated angles.
    std::vector<float> inv_freq(static_cast<size_t>(half)), mix(static_cast<size_t>(half), 0.0f);
    for (int i = 0; i < half; i++) {
        inv_freq[size_t(i)] = std::pow(p.freq_base, -2.0f * float(i) / float(p.n_dims)) /
                              (ff ? static_cast<const float*>(ff->data)[i] : 1.0f);
        if (p.ext_factor != 0.0f) {
            const float y = (float(i) - low) / std::max(0.001f, high - low);
            mix[size_t(i)] = (1.0f - std::min(1.0f, std::max(0.0f, y))) * p.ext_factor;
        }
    }

    // The angles depend on the token and the pair only: cos / sin once per token, shared by every head.
    const int64_t head_dim = a->ne[0], n_tok = a->ne[2];
    std::vector<float> cs(size_t(n_tok * half) * 2);
#pragma omp parallel for num_threads(threads_for(n_tok * half * 16, ctx.n_threads)) schedule(static)
    for (int64_t t = 0; t < n_tok; t++) {
        const float position = float(pos[t]);
        for (int i = 0; i < half; i++) {
            const float extrap = position * inv_freq[size_t(i)];
            const float interp = extrap * p.freq_scale;
            const float theta = interp * (1.0f - mix[size_t(i)]) + extrap * mix[size_t(i)];
            cs[size_t(t * half + i) * 2] = std::cos(theta) * mscale;
            cs[size_t(t * half + i) * 2 + 1] = std::sin(theta) * mscale;
        }
    }
    for_each_row(dst, ctx.n_threads, [&](int64_t h, int64_t t, int64_t i3, float* scratch) {
        const float* x = f32_row_view(a, h, t, i3, scratch);
        float* y = f32_row(dst, h, t, i3);
        const float* ct = cs.data() + size_t(t * half) * 2;
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
