// unary: dst = f(a) for every UnaryOp (silu, gelu tanh, gelu erf, relu, tanh, neg, exp; param 0), f32, in
// the CPU's formulas (activation.cuh). One thread per element over the linear index (grid-stride loop);
// a may have any strides. The op is a kernel argument: every thread takes the same branch.
#include <algorithm>
#include <climits>

#include "backends/cuda/activation.cuh"
#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float apply(UnaryOp op, float x) {
    switch (op) {
    case UnaryOp::Silu: return act_silu(x);
    case UnaryOp::GeluTanh: return act_gelu_tanh(x);
    case UnaryOp::GeluErf: return act_gelu_erf(x);
    case UnaryOp::Relu: return x > 0.0f ? x : 0.0f;
    case UnaryOp::Tanh: return tanhf(x);
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return expf(x);
    }
    return x;
}

__global__ void unary_kernel(TensorDesc a, TensorDesc d, int64_t n, UnaryOp op) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        int64_t i0, i1, i2, i3;
        d.unravel(i, &i0, &i1, &i2, &i3);
        const float x = *reinterpret_cast<const float*>(a.at(i0, i1, i2, i3));
        *reinterpret_cast<float*>(d.at(i0, i1, i2, i3)) = apply(op, x);
    }
}

}  // namespace

void op_unary(const OpContext& c, const Tensor* dst) {
    const int64_t n = dst->nelements();
    if (n == 0) return;
    const unsigned grid = blocks_for(n, kThreads);
    launch_kernel(unary_kernel, grid, kThreads, 0, c.stream, desc(dst->src[0]), desc(dst), n, UnaryOp(dst->params[0]));
    check_launch("unary");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
