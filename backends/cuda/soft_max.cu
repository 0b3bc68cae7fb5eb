// soft_max: y = softmax(x*scale + slope*mask) per row, the mask (f32, f16 or bf16, optional) broadcast
// over a's rows by modulo, slope from ALiBi (1 when max_bias <= 0). One block per row (a grid-stride loop
// over rows past the grid limit), three passes: the maximum (and the last column the mask leaves open),
// exponentials into dst with their sum, then the scaling by the sum's reciprocal. Mirrors the CPU:
// columns past the last open one are exactly 0, the sum is accumulated in double, and a row whose
// logits are all -inf (fully masked) is NaN.
#include <cmath>

#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

struct SoftMaxParams {
    float scale;
    float m0, m1;    // ALiBi bases, computed on the host as the CPU does
    int64_t n_pow2;  // heads below this take m0^(h+1), the rest m1^(2(h-n)+1)
    int has_mask;
    int alibi;       // max_bias > 0
};

__global__ void soft_max_kernel(TensorDesc a, TensorDesc m, TensorDesc d, SoftMaxParams p) {
    __shared__ float red_f[kWarp];
    __shared__ double red_d[kWarp];
    __shared__ long long last_open;
    const int64_t n = d.ne[0], nrows = d.nrows();
    for (int64_t r = blockIdx.x; r < nrows; r += gridDim.x) {
        int64_t i1, i2, i3;
        d.unravel_row(r, &i1, &i2, &i3);
        const char* x = a.at(0, i1, i2, i3);
        char* y = d.at(0, i1, i2, i3);
        const char* mrow = p.has_mask ? m.at(0, i1 % m.ne[1], i2 % m.ne[2], i3 % m.ne[3]) : nullptr;
        // The CPU's pow of float bases, evaluated in double and rounded once.
        float slope = 1.0f;
        if (p.has_mask && p.alibi)
            slope = i2 < p.n_pow2 ? float(pow(double(p.m0), double(i2 + 1)))
                                  : float(pow(double(p.m1), double(2 * (i2 - p.n_pow2) + 1)));
        // x*scale rounded, then slope*mask rounded and added, as the CPU's separate passes do (no fma).
        const auto logit = [&](int64_t i, float mv) {
            float v = __fmul_rn(*reinterpret_cast<const float*>(x + i * a.nb[0]), p.scale);
            if (p.has_mask) v = __fadd_rn(v, __fmul_rn(slope, mv));
            return v;
        };
        const auto mask_at = [&](int64_t i) { return p.has_mask ? load_float(m.type, mrow + i * m.nb[0]) : 0.0f; };

        if (threadIdx.x == 0) last_open = -1;
        __syncthreads();
        // Columns past the mask's last open one (!= -inf) give -inf or NaN logits, which fmaxf skips:
        // the maximum over the whole row is the CPU's maximum over its cut row.
        float mx = -INFINITY;
        long long open = -1;
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
            const float mv = mask_at(i);
            if (mv != -INFINITY) open = i;
            mx = fmaxf(mx, logit(i, mv));
        }
        if (open >= 0) atomicMax(&last_open, open);
        mx = block_max(mx, red_f);  // its barriers also publish last_open
        int64_t len = p.has_mask ? int64_t(last_open) + 1 : n;
        if (len == 0) len = n;  // fully masked: the plain definition over the whole row (NaN), as the CPU

        // A maximum of -inf makes exp(-inf - -inf): NaN on the CPU, made explicit here.
        double sum = 0.0;
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
            float e = 0.0f;
            if (i < len) e = mx == -INFINITY ? NAN : expf(__fsub_rn(logit(i, mask_at(i)), mx));
            sum += double(e);
            *reinterpret_cast<float*>(y + i * d.nb[0]) = e;
        }
        const float inv = 1.0f / float(block_sum(sum, red_d));
        for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {  // each thread rereads only what it wrote
            float* yi = reinterpret_cast<float*>(y + i * d.nb[0]);
            *yi = *yi * inv;
        }
    }
}

}  // namespace

void op_soft_max(const OpContext& c, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    const Tensor* mask = dst->src[1];
    const float max_bias = dst->param<float>(1);
    SoftMaxParams p{dst->param<float>(0), 1.0f, 1.0f, 0, mask ? 1 : 0, 0};
    if (mask && max_bias > 0.0f) {
        const int64_t n = int64_t(1) << int64_t(std::floor(std::log2(double(a->ne[2]))));
        p.m0 = std::pow(2.0f, -max_bias / float(n));
        p.m1 = std::pow(2.0f, -max_bias / 2.0f / float(n));
        p.n_pow2 = n;
        p.alibi = 1;
    }
    const TensorDesc da = desc(a), dm = mask ? desc(mask) : TensorDesc{}, dd = desc(dst);
    const int64_t nrows = dd.nrows();
    if (nrows == 0 || dd.ne[0] == 0) return;
    const unsigned grid = blocks_for(nrows, 1);
    launch_kernel(soft_max_kernel, grid, row_threads(dd.ne[0]), 0, c.stream, da, dm, dd, p);
    check_launch("soft_max");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
