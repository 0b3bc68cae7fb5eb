// add / sub / mul / div: dst = a (op) b, f32, with b repeated over a (each of b's sizes divides a's; the
// CPU's broadcast by index modulo b's size). One thread per dst element over the linear index (grid-stride
// loop); every operand is addressed through its own strides, so views and permutes need no copy.
#include <algorithm>
#include <climits>

#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

constexpr int kThreads = 256;

template <Op OP>
__global__ void binary_kernel(TensorDesc a, TensorDesc b, TensorDesc d, int64_t n) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        int64_t i0, i1, i2, i3;
        d.unravel(i, &i0, &i1, &i2, &i3);
        const float x = *reinterpret_cast<const float*>(a.at(i0, i1, i2, i3));
        const float y = *reinterpret_cast<const float*>(b.at(i0 % b.ne[0], i1 % b.ne[1], i2 % b.ne[2], i3 % b.ne[3]));
        float r;
        if constexpr (OP == Op::Add) r = x + y;
        else if constexpr (OP == Op::Sub) r = x - y;
        else if constexpr (OP == Op::Mul) r = x * y;
        else r = x / y;
        *reinterpret_cast<float*>(d.at(i0, i1, i2, i3)) = r;
    }
}

template <Op OP>
void launch(const OpContext& c, const Tensor* dst, int64_t n) {
    const unsigned grid = blocks_for(n, kThreads);
    launch_kernel(binary_kernel<OP>, grid, kThreads, 0, c.stream, desc(dst->src[0]), desc(dst->src[1]), desc(dst), n);
}

}  // namespace

void op_binary(const OpContext& c, const Tensor* dst) {
    const int64_t n = dst->nelements();
    if (n == 0) return;
    switch (dst->op) {
    case Op::Add: launch<Op::Add>(c, dst, n); break;
    case Op::Sub: launch<Op::Sub>(c, dst, n); break;
    case Op::Mul: launch<Op::Mul>(c, dst, n); break;
    default: launch<Op::Div>(c, dst, n); break;
    }
    check_launch("binary");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
