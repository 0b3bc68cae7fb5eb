// concat: dst = a followed by b along dimension `dim` (param 0); a, b and dst share one float type, so
// elements move as raw bits (2 or 4 bytes). One thread per dst element over the linear index (grid-stride
// loop): the element's index along dim says which operand it comes from; a and b may have any strides.
#include <algorithm>
#include <climits>

#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

constexpr int kThreads = 256;

template <class E>  // the element's bits: uint32_t for f32, uint16_t for f16 / bf16
__global__ void concat_kernel(TensorDesc a, TensorDesc b, TensorDesc d, int64_t n, int dim) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        int64_t j[4];
        d.unravel(i, &j[0], &j[1], &j[2], &j[3]);
        char* dp = d.at(j[0], j[1], j[2], j[3]);
        const TensorDesc* s = &a;
        if (j[dim] >= a.ne[dim]) {
            j[dim] -= a.ne[dim];
            s = &b;
        }
        *reinterpret_cast<E*>(dp) = *reinterpret_cast<const E*>(s->at(j[0], j[1], j[2], j[3]));
    }
}

}  // namespace

void op_concat(const OpContext& c, const Tensor* dst) {
    const int64_t n = dst->nelements();
    if (n == 0) return;
    const unsigned grid = blocks_for(n, kThreads);
    const TensorDesc a = desc(dst->src[0]), b = desc(dst->src[1]), d = desc(dst);
    const int dim = dst->params[0];
    if (dst->type == Type::F32) launch_kernel(concat_kernel<uint32_t>, grid, kThreads, 0, c.stream, a, b, d, n, dim);
    else launch_kernel(concat_kernel<uint16_t>, grid, kThreads, 0, c.stream, a, b, d, n, dim);
    check_launch("concat");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
