// norm: (x - mean) / sqrt(var + eps) per row (LayerNorm without its affine part).
#include <cmath>

#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_norm(Tensor* dst, const OpContext& ctx) {
    const float eps = dst->param<float>(0);
    map_rows(dst, ctx, [eps](float* y, const float* x, int64_t n) {
        const double mean = vec_sum(n, x) / double(n);
        vec_scale(n, y, x, 1.0f, float(-mean));  // centred first: var from centred values is stable
        const double var = vec_sum_sq(n, y) / double(n);
        vec_scale(n, y, y, float(1.0 / std::sqrt(var + double(eps))), 0.0f);
    });
}

}  // namespace ggml::cpu
