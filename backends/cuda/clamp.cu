// clamp: dst = min(max(a, lo), hi) (lo and hi: params 0 and 1, floats), f32, with std::min / std::max's
// comparisons (a NaN passes through, as on the CPU). One thread per element over the linear index
// (grid-stride loop); a may have any strides.
#include <algorithm>
#include <climits>

#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

constexpr int kThreads = 256;

__global__ void clamp_kernel(TensorDesc a, TensorDesc d, int64_t n, float lo, float hi) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        int64_t i0, i1, i2, i3;
        d.unravel(i, &i0, &i1, &i2, &i3);
        const float x = *reinterpret_cast<const float*>(a.at(i0, i1, i2, i3));
        const float m = x < lo ? lo : x;  // std::max(x, lo)
        *reinterpret_cast<float*>(d.at(i0, i1, i2, i3)) = hi < m ? hi : m;  // std::min(m, hi)
    }
}

}  // namespace

void op_clamp(const OpContext& c, const Tensor* dst) {
    const int64_t n = dst->nelements();
    if (n == 0) return;
    const unsigned grid = blocks_for(n, kThreads);
    launch_kernel(clamp_kernel, grid, kThreads, 0, c.stream, desc(dst->src[0]), desc(dst), n, dst->param<float>(0),
                  dst->param<float>(1));
    check_launch("clamp");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
