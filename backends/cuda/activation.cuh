// Activations shared by unary.cu and glu.cu, in the CPU's forms (backends/cpu/ops/activation.h and the
// scalar silu of backends/cpu/vec.cpp): sigmoid forms with no 1 + tanh or 1 + erf cancellation in the
// negative tail. Library expf / erfcf (a few ulps), no fast intrinsics. An exponential that overflows
// gives x / inf = -0, the right limit.
#pragma once
#include "backends/cuda/cuda_api.h"

namespace ggml::GIRAFFE_CUDA_NS {

__device__ __forceinline__ float act_silu(float x) { return x / (1.0f + expf(-x)); }

// 0.5x(1 + tanh(u)) == x * sigmoid(2u) with u = sqrt(2/pi)(x + 0.044715x^3).
__device__ __forceinline__ float act_gelu_tanh(float x) {
    return x / (1.0f + expf(-2.0f * 0.7978845608028654f * (x + 0.044715f * x * x * x)));
}

// 0.5x(1 + erf(x/sqrt2)) == 0.5x erfc(-x/sqrt2)
__device__ __forceinline__ float act_gelu_erf(float x) { return 0.5f * x * erfcf(-x * 0.7071067811865476f); }

}  // namespace ggml::GIRAFFE_CUDA_NS
