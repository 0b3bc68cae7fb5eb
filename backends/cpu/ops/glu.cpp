// glu: act(gate) * up, the gated feed-forward units (SwiGLU: silu; GeGLU: gelu).
#include "backends/cpu/ops/activation.h"
#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_glu(Tensor* dst, const OpContext& ctx) {
    const Tensor* up = dst->src[1];
    const GluOp op = GluOp(dst->params[0]);
    const int64_t n = dst->ne[0];
    for_each_row(dst, ctx.n_threads, [&](int64_t i1, int64_t i2, int64_t i3, float* scratch) {
        const float* g = f32_row_view(dst->src[0], i1, i2, i3, scratch);
        const float* u = f32_row_view(up, i1, i2, i3, scratch + n);
        float* y = f32_row(dst, i1, i2, i3);
        switch (op) {
        case GluOp::SwiGlu: vec_swiglu(n, y, g, u); break;
        case GluOp::GeGluTanh: gelu_tanh_n(n, y, g, u); break;
        case GluOp::GeGluErf: for (int64_t i = 0; i < n; i++) y[i] = gelu_erf(g[i]) * u[i]; break;
        }
    }, size_t(2 * n));
}

}  // namespace ggml::cpu
