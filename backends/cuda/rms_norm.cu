// rms_norm: y = x / sqrt(mean(x^2) + eps) per row. One block per row (a grid-stride loop over rows past
// the grid limit): each thread sums the squares of its strided share of the row, a block reduction
// combines them, then each thread scales its share. The sum of squares is accumulated in double, as the
// CPU's vec_sum_sq does, so the scale comes out the same float.
#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

__global__ void rms_norm_kernel(TensorDesc a, TensorDesc d, float eps) {
    __shared__ double red[kWarp];
    const int64_t n = d.ne[0], nrows = d.nrows();
    for (int64_t r = blockIdx.x; r < nrows; r += gridDim.x) {
        int64_t i1, i2, i3;
        d.unravel_row(r, &i1, &i2, &i3);
        const char* x = a.at(0, i1, i2, i3);
        char* y = d.at(0, i1, i2, i3);
        double sq = 0.0;
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
            const double v = *reinterpret_cast<const float*>(x + i * a.nb[0]);
            sq += v * v;
        }
        const double ms = block_sum(sq, red) / double(n);
        const float s = float(1.0 / sqrt(ms + double(eps)));
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
            *reinterpret_cast<float*>(y + i * d.nb[0]) = *reinterpret_cast<const float*>(x + i * a.nb[0]) * s;
    }
}

}  // namespace

void op_rms_norm(const OpContext& c, const Tensor* dst) {
    const TensorDesc a = desc(dst->src[0]), d = desc(dst);
    const int64_t nrows = d.nrows();
    if (nrows == 0 || d.ne[0] == 0) return;
    const unsigned grid = blocks_for(nrows, 1);
    launch_kernel(rms_norm_kernel, grid, row_threads(d.ne[0]), 0, c.stream, a, d, dst->param<float>(0));
    check_launch("rms_norm");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
