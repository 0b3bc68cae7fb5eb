// add / sub / mul / div with b broadcast over a (b's sizes divide a's).
#include "backends/cpu/ops/common.h"

namespace ggml::cpu {
namespace {

using VecFn = void (*)(int64_t, float*, const float*, const float*);

template <class F>
void run(Tensor* dst, const OpContext& ctx, VecFn vec, F scalar) {
    const Tensor* a = dst->src[0];
    const Tensor* b = dst->src[1];
    const int64_t n = dst->ne[0], nb0 = b->ne[0];
    const bool direct = a->nb[0] == 4 && b->nb[0] == 4;
    for_each_row(dst, ctx.n_threads, [&](int64_t i1, int64_t i2, int64_t i3, float*) {
        float* d = f32_row(dst, i1, i2, i3);
        const char* pa = row_ptr(a, i1, i2, i3);
        const char* pb = row_ptr(b, i1 % b->ne[1], i2 % b->ne[2], i3 % b->ne[3]);
        if (direct) {
            const float* x = reinterpret_cast<const float*>(pa);
            const float* y = reinterpret_cast<const float*>(pb);
            for (int64_t i0 = 0; i0 < n; i0 += nb0) vec(nb0, d + i0, x + i0, y);  // b's row repeats
            return;
        }
        for (int64_t i0 = 0; i0 < n; i0++) {
            const float x = *reinterpret_cast<const float*>(pa + i0 * a->nb[0]);
            const float y = *reinterpret_cast<const float*>(pb + (i0 % nb0) * b->nb[0]);
            d[i0] = scalar(x, y);
        }
    });
}

}  // namespace

void op_binary(Tensor* dst, const OpContext& ctx) {
    switch (dst->op) {
    case Op::Add: run(dst, ctx, vec_add, [](float x, float y) { return x + y; }); break;
    case Op::Sub: run(dst, ctx, vec_sub, [](float x, float y) { return x - y; }); break;
    case Op::Mul: run(dst, ctx, vec_mul, [](float x, float y) { return x * y; }); break;
    default: run(dst, ctx, vec_div, [](float x, float y) { return x / y; }); break;
    }
}

}  // namespace ggml::cpu
