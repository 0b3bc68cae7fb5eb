// argmax: index of each row's largest value (the first, on ties).
#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_argmax(Tensor* dst, const OpContext& ctx) {
    const Tensor* a = dst->src[0];
    const int64_t n = a->ne[0];
    int32_t* out = static_cast<int32_t*>(dst->data);
    for_each_row(a, ctx.n_threads, [&](int64_t i1, int64_t, int64_t, float* scratch) {
        const float* x = f32_row_view(a, i1, 0, 0, scratch);
        int64_t best = 0;
        for (int64_t i = 1; i < n; i++)
            if (x[i] > x[best]) best = i;
        out[i1] = int32_t(best);
    }, size_t(n));
}

}  // namespace ggml::cpu
