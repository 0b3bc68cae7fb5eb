// sum_rows and mean: one value per row ([1, ne1, ne2, ne3]), mean dividing the sum by ne0. One block per
// row (a grid-stride loop over rows past the grid limit): each thread sums its strided share of the row,
// a block reduction combines them. Accumulated in double and divided in double, as the CPU's vec_sum.
#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

__global__ void sum_rows_kernel(TensorDesc a, TensorDesc d, double div) {
    __shared__ double red[kWarp];
    const int64_t n = a.ne[0], nrows = d.nrows();
    for (int64_t r = blockIdx.x; r < nrows; r += gridDim.x) {
        int64_t i1, i2, i3;
        d.unravel_row(r, &i1, &i2, &i3);
        const char* x = a.at(0, i1, i2, i3);
        double sum = 0.0;
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += double(*reinterpret_cast<const float*>(x + i * a.nb[0]));
        sum = block_sum(sum, red);
        if (threadIdx.x == 0) *reinterpret_cast<float*>(d.at(0, i1, i2, i3)) = float(sum / div);
    }
}

}  // namespace

void op_sum_rows(const OpContext& c, const Tensor* dst) {
    const TensorDesc a = desc(dst->src[0]), d = desc(dst);
    const int64_t nrows = d.nrows();
    if (nrows == 0) return;
    const double div = dst->op == Op::Mean ? double(a.ne[0]) : 1.0;
    const unsigned grid = blocks_for(nrows, 1);
    launch_kernel(sum_rows_kernel, grid, row_threads(a.ne[0]), 0, c.stream, a, d, div);
    check_launch(dst->op == Op::Mean ? "mean" : "sum_rows");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
