// scale: x*s + bias.
#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_scale(Tensor* dst, const OpContext& ctx) {
    const float s = dst->param<float>(0), b = dst->param<float>(1);
    map_rows(dst, ctx, [&](float* y, const float* x, int64_t n) { vec_scale(n, y, x, s, b); });
}

}  // namespace ggml::cpu
