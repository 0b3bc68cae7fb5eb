// sqr: x^2.
#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_sqr(Tensor* dst, const OpContext& ctx) {
    map_rows(dst, ctx, [](float* y, const float* x, int64_t n) { vec_mul(n, y, x, x); });
}

}  // namespace ggml::cpu
