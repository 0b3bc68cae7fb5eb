// clamp: min(max(x, lo), hi).
#include <algorithm>

#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_clamp(Tensor* dst, const OpContext& ctx) {
    const float lo = dst->param<float>(0), hi = dst->param<float>(1);
    map_rows(dst, ctx, [&](float* y, const float* x, int64_t n) {
        for (int64_t i = 0; i < n; i++) y[i] = std::min(std::max(x[i], lo), hi);
    });
}

}  // namespace ggml::cpu
