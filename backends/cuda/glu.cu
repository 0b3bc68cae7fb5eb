// glu: dst = act(gate) * up, the gated feed-forward units (SwiGLU: silu; GeGLU: gelu tanh or erf; GluOp in
// param 0), f32. gate (src 0) and up (src 1) have dst's shape and any strides (often the two halves of one
// projection's output); there is no single-source form. One thread per element over the linear index
// (grid-stride loop); the activations are the CPU's (activation.cuh).
#include <algorithm>
#include <climits>

#include "backends/cuda/activation.cuh"
#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

constexpr int kThreads = 256;

__global__ void glu_kernel(TensorDesc g, TensorDesc u, TensorDesc d, int64_t n, GluOp op) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        int64_t i0, i1, i2, i3;
        d.unravel(i, &i0, &i1, &i2, &i3);
        const float x = *reinterpret_cast<const float*>(g.at(i0, i1, i2, i3));
        const float up = *reinterpret_cast<const float*>(u.at(i0, i1, i2, i3));
        const float act = op == GluOp::SwiGlu ? act_silu(x) : op == GluOp::GeGluTanh ? act_gelu_tanh(x) : act_gelu_erf(x);
        *reinterpret_cast<float*>(d.at(i0, i1, i2, i3)) = act * up;
    }
}

}  // namespace

void op_glu(const OpContext& c, const Tensor* dst) {
    const int64_t n = dst->nelements();
    if (n == 0) return;
    const unsigned grid = blocks_for(n, kThreads);
    launch_kernel(glu_kernel, grid, kThreads, 0, c.stream, desc(dst->src[0]), desc(dst->src[1]), desc(dst), n,
                  GluOp(dst->params[0]));
    check_launch("glu");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
