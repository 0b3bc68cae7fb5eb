// concat: dst = a followed by b along one dimension.
#include <cstring>

#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_concat(Tensor* dst, const OpContext& ctx) {
    const Tensor* a = dst->src[0];
    const Tensor* b = dst->src[1];
    const int dim = dst->params[0];
    const size_t es = type_traits(dst->type).block_bytes;
    for_each_row(dst, ctx.n_threads, [&](int64_t i1, int64_t i2, int64_t i3, float*) {
        char* d = row_ptr(dst, i1, i2, i3);
        if (dim > 0) {  // the whole row comes from one operand
            int64_t j[4] = {0, i1, i2, i3};
            const Tensor* s = a;
            if (j[dim] >= a->ne[dim]) j[dim] -= a->ne[dim], s = b;
            const char* src = row_ptr(s, j[1], j[2], j[3]);
            if (s->nb[0] == es) std::memcpy(d, src, size_t(dst->ne[0]) * es);
            else
                for (int64_t i0 = 0; i0 < dst->ne[0]; i0++) std::memcpy(d + i0 * es, src + i0 * s->nb[0], es);
            return;
        }
        const int64_t idx[4] = {0, i1, i2, i3};
        for (int64_t i0 = 0; i0 < dst->ne[0]; i0++) {
            int64_t j[4] = {i0, idx[1], idx[2], idx[3]};
            const Tensor* s = a;
            if (j[dim] >= a->ne[dim]) {
                j[dim] -= a->ne[dim];
                s = b;
            }
            std::memcpy(d + i0 * es, row_ptr(s, j[1], j[2], j[3]) + j[0] * s->nb[0], es);
        }
    });
}

}  // namespace ggml::cpu
