// unary: silu, gelu (tanh and erf), relu, tanh, neg, exp.
#include <cmath>

#include "backends/cpu/ops/activation.h"
#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void op_unary(Tensor* dst, const OpContext& ctx) {
    const UnaryOp op = UnaryOp(dst->params[0]);
    map_rows(dst, ctx, [op](float* y, const float* x, int64_t n) {
        switch (op) {
        case UnaryOp::Silu: vec_silu(n, y, x); break;
        case UnaryOp::GeluTanh: gelu_tanh_n(n, y, x, nullptr); break;
        case UnaryOp::GeluErf: for (int64_t i = 0; i < n; i++) y[i] = gelu_erf(x[i]); break;
        case UnaryOp::Relu: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0.0f; break;
        case UnaryOp::Tanh: for (int64_t i = 0; i < n; i++) y[i] = std::tanh(x[i]); break;
        case UnaryOp::Neg: for (int64_t i = 0; i < n; i++) y[i] = -x[i]; break;
        case UnaryOp::Exp: for (int64_t i = 0; i < n; i++) y[i] = std::exp(x[i]); break;
        }
    });
}

}  // namespace ggml::cpu
