// rope: rotary position embedding, normal (adjacent pairs) or neox (halves) pairing, with frequency
// factors, linear and YaRN scaling; dims past n_dims are copied. One block per token (a grid-stride loop
// over tokens past the grid limit): its threads first compute each pair's cos and sin into shared memory
// (the angle depends on the token and pair only, not the head), then rotate or copy every unit of every
// head of the token, a unit being a pair or one passed-through dimension. The angle math is float in the
// CPU's order and roundings (backends/cpu/ops/rope.cpp); pow, cos and sin are evaluated in double and
// rounded once, as close as it gets to the CPU's float libm calls.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "backends/cuda/common.cuh"
#include "ggml/ops.h"

namespace ggml::GIRAFFE_CUDA_NS {
namespace {

struct RopeArgs {
    const char* pos;  // I32 [n_tok], contiguous (the CPU reads it so)
    const char* ff;   // F32 [>= n_dims/2], contiguous, or null
    int n_dims;
    int neox;
    float freq_base, freq_scale, ext_factor;
    float low, high;  // YaRN ramp ends, in pairs (host-computed like the CPU)
    float mscale;     // attn_factor, times YaRN's magnitude correction
};

__global__ void rope_kernel(TensorDesc a, TensorDesc d, RopeArgs p) {
    GGML_CUDA_DYNAMIC_SHARED(float2, cs);  // [half]: (cos, sin) * mscale
    const int half = p.n_dims / 2;
    const int64_t units = half + (a.ne[0] - p.n_dims), n_head = a.ne[1], n_tok = a.ne[2] * a.ne[3];
    for (int64_t row = blockIdx.x; row < n_tok; row += gridDim.x) {
        const int64_t t = row % a.ne[2], i3 = row / a.ne[2];
        const float position = float(*reinterpret_cast<const int*>(p.pos + t * 4));
        __syncthreads();  // the previous token's rotations may still read cs
        for (int i = threadIdx.x; i < half; i += blockDim.x) {
            const float e = -2.0f * float(i) / float(p.n_dims);
            float inv_freq = float(pow(double(p.freq_base), double(e)));
            if (p.ff) inv_freq = inv_freq / *reinterpret_cast<const float*>(p.ff + int64_t(i) * 4);
            float mix = 0.0f;
            if (p.ext_factor != 0.0f) {
                const float y = (float(i) - p.low) / fmaxf(0.001f, p.high - p.low);
                mix = __fmul_rn(1.0f - fminf(1.0f, fmaxf(0.0f, y)), p.ext_factor);
            }
            // Separate roundings, no fma: theta carries position-sized magnitudes.
            const float extrap = __fmul_rn(position, inv_freq);
            const float interp = __fmul_rn(extrap, p.freq_scale);
            const float theta = __fadd_rn(__fmul_rn(interp, 1.0f - mix), __fmul_rn(extrap, mix));
            double s, c;
            sincos(double(theta), &s, &c);
            cs[i] = make_float2(__fmul_rn(float(c), p.mscale), __fmul_rn(float(s), p.mscale));
        }
        __syncthreads();
        for (int64_t u = threadIdx.x; u < units * n_head; u += blockDim.x) {
            const int64_t k = u % units, h = u / units;
            if (k >= half) {  // past the rotated dims: copied
                const int64_t i = p.n_dims + (k - half);
                *reinterpret_cast<float*>(d.at(i, h, t, i3)) = *reinterpret_cast<const float*>(a.at(i, h, t, i3));
                continue;
            }
            const float2 r = cs[k];
            const int64_t j0 = p.neox ? k : 2 * k, j1 = p.neox ? k + half : 2 * k + 1;
            const float x0 = *reinterpret_cast<const float*>(a.at(j0, h, t, i3));
            const float x1 = *reinterpret_cast<const float*>(a.at(j1, h, t, i3));
            *reinterpret_cast<float*>(d.at(j0, h, t, i3)) = __fsub_rn(__fmul_rn(x0, r.x), __fmul_rn(x1, r.y));
            *reinterpret_cast<float*>(d.at(j1, h, t, i3)) = __fadd_rn(__fmul_rn(x0, r.y), __fmul_rn(x1, r.x));
        }
    }
}

// Pair index at which a dimension completes n_rot rotations over the original context (YaRN); float,
// as backends/cpu/ops/rope.cpp computes it.
float corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base) {
    return float(n_dims) * std::log(float(n_ctx_orig) / (n_rot * 2.0f * float(M_PI))) / (2.0f * std::log(base));
}

}  // namespace

void op_rope(const OpContext& c, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    const Tensor* ff = dst->src[2];
    const RopeParams rp = rope_params(dst);
    RopeArgs p{static_cast<const char*>(dst->src[1]->data), ff ? static_cast<const char*>(ff->data) : nullptr,
               rp.n_dims, rp.mode == RopeMode::Neox ? 1 : 0, rp.freq_base, rp.freq_scale, rp.ext_factor,
               0.0f, 0.0f, rope_mscale(rp)};
    if (rp.ext_factor != 0.0f) {
        p.low = std::max(0.0f, std::floor(corr_dim(rp.n_dims, rp.n_ctx_orig, rp.beta_fast, rp.freq_base)));
        p.high = std::min(float(rp.n_dims - 1), std::ceil(corr_dim(rp.n_dims, rp.n_ctx_orig, rp.beta_slow, rp.freq_base)));
    }
    const TensorDesc da = desc(a), dd = desc(dst);
    const int64_t n_tok = da.ne[2] * da.ne[3];
    if (n_tok == 0 || da.ne[1] == 0) return;
    const size_t shared = size_t(rp.n_dims / 2) * sizeof(float2);
    if (shared > 48 * 1024) throw std::runtime_error("cuda rope: n_dims " + std::to_string(rp.n_dims) + " too large");
    const int64_t work = (rp.n_dims / 2 + (da.ne[0] - rp.n_dims)) * da.ne[1];  // units of one token
    const int threads = work <= 64 ? 64 : work <= 128 ? 128 : 256;
    const unsigned grid = blocks_for(n_tok, 1);
    launch_kernel(rope_kernel, grid, threads, shared, c.stream, da, dd, p);
    check_launch("rope");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
