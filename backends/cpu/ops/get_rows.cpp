// get_rows: dst[i3][i2][j] = a[i3][i2][idx[i3][i2][j]], converted to f32 (embedding lookup).
#include <atomic>
#include <climits>
#include <stdexcept>
#include <string>

#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_get_rows(Tensor* dst, const OpContext& ctx) {
    const Tensor* a = dst->src[0];
    const Tensor* idx = dst->src[1];
    std::atomic<int64_t> bad{INT64_MIN};
    for_each_row(dst, ctx.n_threads, [&](int64_t j, int64_t i2, int64_t i3, float*) {
        const int32_t r = *reinterpret_cast<const int32_t*>(row_ptr(idx, i2, i3, 0) + j * idx->nb[0]);
        if (r < 0 || r >= a->ne[1]) {
            bad = r;
            return;
        }
        load_f32(a->type, row_ptr(a, r, i2, i3), a->nb[0], a->ne[0], f32_row(dst, j, i2, i3));
    });
    if (bad != INT64_MIN)
        throw std::out_of_range("get_rows: index " + std::to_string(bad.load()) + " outside 0.." +
                                std::to_string(a->ne[1] - 1));
}

}  // namespace ggml::cpu
