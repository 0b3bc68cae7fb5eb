// sqrt: elementwise square root.
#include <cmath>

#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_sqrt(Tensor* dst, const OpContext& ctx) {
    map_rows(dst, ctx, [](float* y, const float* x, int64_t n) {
        for (int64_t i = 0; i < n; i++) y[i] = std::sqrt(x[i]);
    });
}

}  // namespace ggml::cpu
