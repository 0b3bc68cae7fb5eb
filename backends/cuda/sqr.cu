// sqr: dst = a*a, f32. One thread per element over the linear index (grid-stride loop); a may have any
// strides.
#include <algorithm>
#include <climits>

#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

constexpr int kThreads = 256;

__global__ void sqr_kernel(TensorDesc a, TensorDesc d, int64_t n) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        int64_t i0, i1, i2, i3;
        d.unravel(i, &i0, &i1, &i2, &i3);
        const float x = *reinterpret_cast<const float*>(a.at(i0, i1, i2, i3));
        *reinterpret_cast<float*>(d.at(i0, i1, i2, i3)) = x * x;
    }
}

}  // namespace

void op_sqr(const OpContext& c, const Tensor* dst) {
    const int64_t n = dst->nelements();
    if (n == 0) return;
    const unsigned grid = blocks_for(n, kThreads);
    launch_kernel(sqr_kernel, grid, kThreads, 0, c.stream, desc(dst->src[0]), desc(dst), n);
    check_launch("sqr");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
