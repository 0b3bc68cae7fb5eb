// soft_max: softmax(x*scale + slope*mask) per row, slope from ALiBi when max_bias > 0.
#include <algorithm>
#include <cmath>

#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

// ALiBi head slopes (Press et al. 2021): geometric in 2^(-max_bias/n) for the first n = 2^floor(log2 H)
// heads, the remaining heads interleaved between them.
static float alibi_slope(float max_bias, int64_t h, int64_t n_head) {
    if (max_bias <= 0.0f) return 1.0f;
    const int64_t n = int64_t(1) << int64_t(std::floor(std::log2(double(n_head))));
    const float m0 = std::pow(2.0f, -max_bias / float(n));
    const float m1 = std::pow(2.0f, -max_bias / 2.0f / float(n));
    return h < n ? std::pow(m0, float(h + 1)) : std::pow(m1, float(2 * (h - n) + 1));
}

void op_soft_max(Tensor* dst, const OpContext& ctx) {
    const Tensor* a = dst->src[0];
    const Tensor* mask = dst->src[1];
    const float scale = dst->param<float>(0), max_bias = dst->param<float>(1);
    const int64_t n = dst->ne[0];
    for_each_row(dst, ctx.n_threads, [&](int64_t i1, int64_t i2, int64_t i3, float* scratch) {
        float* y = f32_row(dst, i1, i2, i3);
        const float* x = f32_row_view(a, i1, i2, i3, scratch);
        // Masked columns past the last open one are exactly 0 after the softmax: they are only cleared
        // (a causal mask closes half the row on average during prefill).
        int64_t len = n;
        const float* m = nullptr;
        if (mask) {
            m = f32_row_view(mask, i1 % mask->ne[1], i2 % mask->ne[2], i3 % mask->ne[3], scratch + n);
            while (len > 0 && m[len - 1] == -INFINITY) len--;
            if (len == 0) len = n;  // a fully masked row: the plain definition (NaN), as without the cut
        }
        vec_scale(len, y, x, scale, 0.0f);
        if (m) {
            const float slope = alibi_slope(max_bias, i2, a->ne[2]);
            for (int64_t i = 0; i < len; i++) y[i] += slope * m[i];
        }
        const float mx = vec_max(len, y);
        const float sum = vec_exp_sum(len, y, y, mx);
        vec_scale(len, y, y, 1.0f / sum, 0.0f);
        std::fill(y + len, y + n, 0.0f);
    }, size_t(n + (mask ? mask->ne[0] : 0)));
}

}  // namespace ggml::cpu
