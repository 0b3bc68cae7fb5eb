// Scalar activation functions shared by the unary and gated (glu) ops, in forms that stay accurate in
// the negative tail (no 1 + tanh or 1 + erf cancellation).
#pragma once
#include <cmath>

namespace ggml::cpu {

inline float silu(float x) { return x / (1.0f + std::exp(-x)); }
// 0.5x(1 + tanh(u)) == x * sigmoid(2u), u = sqrt(2/pi)(x + 0.044715x^3)
inline float gelu_tanh(float x) {
    const float u2 = 2.0f * 0.7978845608028654f * (x + 0.044715f * x * x * x);
    return x / (1.0f + std::exp(-u2));
}
// 0.5x(1 + erf(x/sqrt2)) == 0.5x erfc(-x/sqrt2)
inline float gelu_erf(float x) { return 0.5f * x * std::erfc(-x * 0.7071067811865476f); }

}  // namespace ggml::cpu
