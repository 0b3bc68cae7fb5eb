// argmax: I32 index of each row's largest value, for a 2-D f32 a. One block per row (a grid-stride loop
// over rows past the grid limit): each thread keeps the best of its strided share, a warp-shuffle and
// shared-memory reduction combines them. Matches the CPU's sequential scan `if (x[i] > x[best]) best = i`
// from best = 0 exactly: ties go to the lowest index, NaNs never win, and a row starting with NaN gives 0
// (nothing compares greater than it).
#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

// (v, i) replaced by (ov, oi) when that is larger, or equal at a lower index. No candidate: i = n, which
// loses to any real element (even -inf) on the index tie-break; NaN compares false and never replaces.
__device__ __forceinline__ void take_better(float& v, long long& i, float ov, long long oi) {
    if (ov > v || (ov == v && oi < i)) {
        v = ov;
        i = oi;
    }
}

__global__ void argmax_kernel(TensorDesc a, TensorDesc d) {
    __shared__ float best_v[kWarp];
    __shared__ long long best_i[kWarp];
    const int64_t n = a.ne[0];
    const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, n_warps = blockDim.x / kWarp;
    for (int64_t r = blockIdx.x; r < a.ne[1]; r += gridDim.x) {
        const char* x = a.at(0, r, 0, 0);
        float bv = -INFINITY;
        long long bi = n;
        // Indices rise, so within a thread only a larger value, or the first candidate, replaces.
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) take_better(bv, bi, *reinterpret_cast<const float*>(x + i * a.nb[0]), i);
#pragma unroll
        for (int o = kWarp / 2; o > 0; o /= 2)
            take_better(bv, bi, __shfl_xor_sync(0xffffffffu, bv, o), __shfl_xor_sync(0xffffffffu, bi, o));
        __syncthreads();  // the previous row's result may still be read
        if (lane == 0) {
            best_v[warp] = bv;
            best_i[warp] = bi;
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            for (int w = 1; w < n_warps; w++) take_better(bv, bi, best_v[w], best_i[w]);
            const bool first_nan = n > 0 && isnan(*reinterpret_cast<const float*>(x));
            *reinterpret_cast<int32_t*>(d.data + r * d.nb[0]) = int32_t(first_nan || bi >= n ? 0 : bi);
        }
    }
}

}  // namespace

void op_argmax(const OpContext& c, const Tensor* dst) {
    const TensorDesc a = desc(dst->src[0]), d = desc(dst);
    const int64_t nrows = a.ne[1];
    if (nrows == 0) return;
    const int threads = a.ne[0] <= 256 ? 32 : a.ne[0] <= 4096 ? 256 : 1024;
    const unsigned grid = blocks_for(nrows, 1);
    launch_kernel(argmax_kernel, grid, threads, 0, c.stream, a, d);
    check_launch("argmax");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
