// sum_rows and mean: one value per row.
#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_sum_rows(Tensor* dst, const OpContext& ctx) {
    const Tensor* a = dst->src[0];
    const int64_t n = a->ne[0];
    const double div = dst->op == Op::Mean ? double(n) : 1.0;
    for_each_row(dst, ctx.n_threads, [&](int64_t i1, int64_t i2, int64_t i3, float* scratch) {
        *f32_row(dst, i1, i2, i3) = float(vec_sum(n, f32_row_view(a, i1, i2, i3, scratch)) / div);
    }, size_t(n));
}

}  // namespace ggml::cpu
