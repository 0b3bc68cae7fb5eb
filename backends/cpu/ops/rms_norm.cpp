// rms_norm: x / sqrt(mean(x^2) + eps) per row.
#include <cmath>

#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_rms_norm(Tensor* dst, const OpContext& ctx) {
    const float eps = dst->param<float>(0);
    map_rows(dst, ctx, [eps](float* y, const float* x, int64_t n) {
        const double ms = vec_sum_sq(n, x) / double(n);
        vec_scale(n, y, x, float(1.0 / std::sqrt(ms + double(eps))), 0.0f);
    });
}

}  // namespace ggml::cpu
