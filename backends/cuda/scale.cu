// scale: dst = a*s + bias (s and bias: params 0 and 1, floats), f32. One thread per element over the
// linear index (grid-stride loop); a may have any strides.
#include <algorithm>
#include <climits>

#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

constexpr int kThreads = 256;

__global__ void scale_kernel(TensorDesc a, TensorDesc d, int64_t n, float s, float bias) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        int64_t i0, i1, i2, i3;
        d.unravel(i, &i0, &i1, &i2, &i3);
        const float x = *reinterpret_cast<const float*>(a.at(i0, i1, i2, i3));
        *reinterpret_cast<float*>(d.at(i0, i1, i2, i3)) = x * s + bias;
    }
}

}  // namespace

void op_scale(const OpContext& c, const Tensor* dst) {
    const int64_t n = dst->nelements();
    if (n == 0) return;
    const unsigned grid = blocks_for(n, kThreads);
    launch_kernel(scale_kernel, grid, kThreads, 0, c.stream, desc(dst->src[0]), desc(dst), n, dst->param<float>(0),
                  dst->param<float>(1));
    check_launch("scale");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
