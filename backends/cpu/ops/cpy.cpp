// cpy / cont / cast: copies src[0] element by element (logical row-major order) into dst, converting type.
#include <cstring>
#include <vector>

#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_cpy(Tensor* dst, const OpContext& ctx) {
    const Tensor* a = dst->src[0];
    if (same_shape(a, dst) && a->ne[0] < 8 && a->ne[1] > 4 * a->ne[0]) {
        // Rows of a few elements (the transposed V cache write of one token: 256 rows of 1): column by
        // column, so each conversion call covers a whole column instead of one element.
        std::vector<float> col(size_t(a->ne[1]));
        for (int64_t i3 = 0; i3 < a->ne[3]; i3++)
            for (int64_t i2 = 0; i2 < a->ne[2]; i2++)
                for (int64_t i0 = 0; i0 < a->ne[0]; i0++) {
                    load_f32(a->type, row_ptr(a, 0, i2, i3) + i0 * a->nb[0], a->nb[1], a->ne[1], col.data());
                    store_f32(dst->type, col.data(), a->ne[1], row_ptr(dst, 0, i2, i3) + i0 * dst->nb[0], dst->nb[1]);
                }
        return;
    }
    if (same_shape(a, dst)) {  // row by row
        const int64_t n = a->ne[0];
        const bool raw = a->type == dst->type && rows_contiguous(a) && rows_contiguous(dst);
        for_each_row(a, ctx.n_threads, [&](int64_t i1, int64_t i2, int64_t i3, float* tmp) {
            const char* s = row_ptr(a, i1, i2, i3);
            char* d = row_ptr(dst, i1, i2, i3);
            if (raw) {
                std::memcpy(d, s, row_size(a->type, n));
            } else {
                load_f32(a->type, s, a->nb[0], n, tmp);
                store_f32(dst->type, tmp, n, d, dst->nb[0]);
            }
        }, raw ? 0 : size_t(n));
        return;
    }
    // Different shapes, same element count: walk both in logical order (single thread; rare and small).
    int64_t di[4] = {0, 0, 0, 0};
    float v;
    for (int64_t i3 = 0; i3 < a->ne[3]; i3++)
        for (int64_t i2 = 0; i2 < a->ne[2]; i2++)
            for (int64_t i1 = 0; i1 < a->ne[1]; i1++)
                for (int64_t i0 = 0; i0 < a->ne[0]; i0++) {
                    load_f32(a->type, row_ptr(a, i1, i2, i3) + i0 * a->nb[0], 0, 1, &v);
                    store_f32(dst->type, &v, 1, row_ptr(dst, di[1], di[2], di[3]) + di[0] * dst->nb[0], 0);
                    for (int k = 0; k < 4 && ++di[k] == dst->ne[k]; k++) di[k] = 0;
                }
}

}  // namespace ggml::cpu
