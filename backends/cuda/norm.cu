// norm: y = (x - mean) / sqrt(var + eps) per row (LayerNorm without its affine part). One block per row
// (a grid-stride loop over rows past the grid limit), three passes over the row as the CPU makes them:
// the mean, the variance of the centred values (centred first, so rows far from zero keep their
// precision), then the scaled centred values. Sums are accumulated in double like the CPU's vec_sum and
// vec_sum_sq, and the centred values are rounded to float before squaring, as the CPU stores them.
#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

__global__ void norm_kernel(TensorDesc a, TensorDesc d, float eps) {
    __shared__ double red[kWarp];
    const int64_t n = d.ne[0], nrows = d.nrows();
    for (int64_t r = blockIdx.x; r < nrows; r += gridDim.x) {
        int64_t i1, i2, i3;
        d.unravel_row(r, &i1, &i2, &i3);
        const char* x = a.at(0, i1, i2, i3);
        char* y = d.at(0, i1, i2, i3);
        const auto xi = [&](int64_t i) { return *reinterpret_cast<const float*>(x + i * a.nb[0]); };
        double sum = 0.0;
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += double(xi(i));
        const float mean = float(block_sum(sum, red) / double(n));
        double sq = 0.0;
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
            const double v = xi(i) - mean;  // the float the CPU stores, then widened
            sq += v * v;
        }
        const double var = block_sum(sq, red) / double(n);
        const float s = float(1.0 / sqrt(var + double(eps)));
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
            *reinterpret_cast<float*>(y + i * d.nb[0]) = (xi(i) - mean) * s;
    }
}

}  // namespace

void op_norm(const OpContext& c, const Tensor* dst) {
    const TensorDesc a = desc(dst->src[0]), d = desc(dst);
    const int64_t nrows = d.nrows();
    if (nrows == 0 || d.ne[0] == 0) return;
    const unsigned grid = blocks_for(nrows, 1);
    launch_kernel(norm_kernel, grid, row_threads(d.ne[0]), 0, c.stream, a, d, dst->param<float>(0));
    check_launch("norm");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
