// cpy / cont / cast: src 0 into dst element by element in logical (row-major) order.
//
// Float destinations (f32, f16, bf16): element i of the source in logical order goes to element i of dst;
// the two may differ in shape (same element count) and have any strides, dst possibly a view into a larger
// tensor (a KV cache) whose other bytes stay as they are. One thread per element over the linear index
// (grid-stride loop). Same-type copies move raw bits (NaN payloads included); conversions round to
// nearest even (store_float).
//
// Block destinations (q8_0, q4_0, q5_0: the quantized KV cache): dst has the source's shape and rows of
// whole blocks (is_block_rows: nb[0] is one block). One thread per block of 32 quantizes it exactly as the
// CPU's quantize_row_* (ggml/quants_legacy.cpp) do, bit for bit: the same scale search over starting
// points and least-squares refits, every step evaluated in the same order with the same roundings. The
// CPU runs its lane loops on 4-float vectors, so the sums here are kept in 4 lanes and combined as its
// hsum4 does; no multiply-add may be fused, hence the explicit __f*_rn operations.
#include <algorithm>
#include <climits>

#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {

bool cpy_dst_block_type(Type t) { return t == Type::Q8_0 || t == Type::Q4_0 || t == Type::Q5_0; }

namespace {

constexpr int kThreads = 256;

// ---- float destinations ----

__global__ void cpy_float_kernel(TensorDesc s, TensorDesc d, int64_t n) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        int64_t a0, a1, a2, a3, c0, c1, c2, c3;
        s.unravel(i, &a0, &a1, &a2, &a3);
        d.unravel(i, &c0, &c1, &c2, &c3);
        const char* sp = s.at(a0, a1, a2, a3);
        char* dp = d.at(c0, c1, c2, c3);
        if (s.type == d.type) {
            if (d.type == kTypeF32) *reinterpret_cast<uint32_t*>(dp) = *reinterpret_cast<const uint32_t*>(sp);
            else *reinterpret_cast<uint16_t*>(dp) = *reinterpret_cast<const uint16_t*>(sp);
        } else {
            store_float(d.type, dp, load_float(s.type, sp));
        }
    }
}

// ---- block destinations: a port of quant_sym (ggml/quants_legacy.cpp) for one block of 32 ----

// Starting points t (d = vmax / t), the CPU's kTs_* in its order.
__constant__ float kTsQ4_0[10] = {-8.0f, -7.25f, -7.375f, -7.5f, -7.625f, -7.75f, -7.875f, -8.125f, -8.25f, 7.0f};
__constant__ float kTsQ5_0[10] = {-16.0f, -14.5f, -14.75f, -15.0f, -15.25f, -15.5f, -15.75f, -16.25f, -16.5f, 15.0f};
__constant__ float kTsQ8_0[4] = {127.0f, 125.0f, 123.0f, 121.0f};

__device__ __forceinline__ float add(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ float sub(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ float mul(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ float div(float a, float b) { return __fdiv_rn(a, b); }

// quant_helpers.h's half_round: the f16-representable value nearest to v (saturated), as a float.
__device__ float half_round(float v) {
    const float a = fabsf(v);
    if (a >= 6.103515625e-05f && a < 65504.0f) {
        uint32_t u = __float_as_uint(v);
        u += 0x0FFFu + ((u >> 13) & 1u);
        u &= ~0x1FFFu;
        return __uint_as_float(u);
    }
    if (v > 65504.0f) v = 65504.0f;
    if (v < -65504.0f) v = -65504.0f;
    return __half2float(__float2half_rn(v));
}

// clamp4 then round4, one lane: vmin4(vmax4(v, lo), hi) (a NaN becomes lo), then the nearest integer by
// adding and removing 1.5 * 2^23.
__device__ __forceinline__ float code(float v, float lo, float hi) {
    const float c0 = v > lo ? v : lo;
    const float c = c0 < hi ? c0 : hi;
    return sub(add(c, 12582912.0f), 12582912.0f);
}

__device__ __forceinline__ float hsum4(const float (&v)[4]) { return add(add(v[0], v[2]), add(v[1], v[3])); }

struct Eval {
    float err, sll, sxl;  // squared error, sum L^2, sum x L
};

// sym_batch for one scale d: the nearest clamped codes' squared error (as dequantization evaluates it)
// and code sums, each summed in lane i % 4 and then combined.
__device__ Eval sym_eval(const float (&x)[32], float d, float qlo, float qhi) {
    const float id = div(1.0f, d);
    float e[4] = {0.0f, 0.0f, 0.0f, 0.0f}, b[4] = {0.0f, 0.0f, 0.0f, 0.0f}, c[4] = {0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll
    for (int i = 0; i < 32; i++) {
        const int l = i % 4;
        const float v = code(mul(x[i], id), qlo, qhi);
        const float r = sub(x[i], mul(d, v));
        e[l] = add(e[l], mul(r, r));
        b[l] = add(b[l], mul(v, v));
        c[l] = add(c[l], mul(x[i], v));
    }
    return Eval{hsum4(e), hsum4(b), hsum4(c)};
}

// quant_sym with start_refit off (as every format here calls it): returns d (f16-representable, 0 for
// a block of zeros or NaN) and the codes L (exact small integers as floats).
__device__ float quant_sym(const float (&x)[32], float qlo, float qhi, const float* ts, int nts, int refits,
                           float (&L)[32]) {
    // block_stats: per-lane max and min over the 8 vectors of 4 (b where a is NaN), then across lanes.
    float mx[4], mn[4];
#pragma unroll
    for (int l = 0; l < 4; l++) mx[l] = mn[l] = x[l];
#pragma unroll
    for (int i = 4; i < 32; i++) {
        const int l = i % 4;
        mx[l] = x[i] > mx[l] ? x[i] : mx[l];
        mn[l] = x[i] < mn[l] ? x[i] : mn[l];
    }
    float hi = mx[0], lo = mn[0];
#pragma unroll
    for (int l = 1; l < 4; l++) {
        hi = mx[l] > hi ? mx[l] : hi;
        lo = mn[l] < lo ? mn[l] : lo;
    }
    // (a symmetric code range takes the magnitude, so that d stays positive)
    const float vmax = qlo == -qhi ? (-lo > hi ? -lo : hi) : (-lo > hi ? lo : hi);
#pragma unroll
    for (int i = 0; i < 32; i++) L[i] = 0.0f;
    if (!(fabsf(vmax) > 0.0f)) return 0.0f;  // all zeros (or NaN)

    float best = INFINITY, bestd = 0.0f, best_sll = 0.0f, best_sxl = 0.0f;
    auto take = [&](const Eval& ev, float d) {
        if (!(ev.err < best) || d == 0.0f || !isfinite(d)) return false;
        best = ev.err;
        bestd = d;
        best_sll = ev.sll;
        best_sxl = ev.sxl;
        return true;
    };
    for (int k = 0; k < nts; k++) {
        const float d = half_round(div(vmax, ts[k]));
        take(sym_eval(x, d, qlo, qhi), d);
    }
    for (int it = 0; it < refits && best_sll > 0.0f; it++) {
        const float d1 = half_round(div(best_sxl, best_sll));
        if (d1 == bestd) break;
        if (!take(sym_eval(x, d1, qlo, qhi), d1)) break;
    }
    if (bestd == 0.0f) return 0.0f;
    const float id = div(1.0f, bestd);
#pragma unroll
    for (int i = 0; i < 32; i++) L[i] = code(mul(x[i], id), qlo, qhi);
    return bestd;
}

__device__ __forceinline__ void store_scale(char* p, float d) { *reinterpret_cast<__half*>(p) = __float2half_rn(d); }

// pack_nibbles: element j in the low nibble of qs[j], element j + 16 in the high one.
__device__ __forceinline__ void pack_nibbles(const float (&L)[32], int offset, uint8_t* qs) {
#pragma unroll
    for (int j = 0; j < 16; j++) {
        const int lo = int(L[j]) + offset, hi = int(L[j + 16]) + offset;
        qs[j] = uint8_t((lo & 0x0F) | ((hi & 0x0F) << 4));
    }
}

// One thread per destination block; blocks are numbered along the row, then rows. The block structs
// (ggml/quants.h): q8_0 {f16 d; i8 qs[32]}, q4_0 {f16 d; u8 qs[16]}, q5_0 {f16 d; u8 qh[4]; u8 qs[16]}.
// Blocks sit at 2-byte alignment only, so everything past d is written byte by byte.
template <Type TYPE>
__global__ void cpy_quant_kernel(TensorDesc s, TensorDesc d, int64_t n_blocks) {
    const int64_t per_row = d.ne[0] / 32;
    for (int64_t ib = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; ib < n_blocks;
         ib += int64_t(gridDim.x) * blockDim.x) {
        const int64_t b0 = ib % per_row;
        int64_t i1, i2, i3;
        d.unravel_row(ib / per_row, &i1, &i2, &i3);
        float x[32], L[32];
#pragma unroll
        for (int j = 0; j < 32; j++) x[j] = load_float(s.type, s.at(b0 * 32 + j, i1, i2, i3));
        char* blk = d.at(b0, i1, i2, i3);
        if constexpr (TYPE == Type::Q8_0) {
            // codes restricted to [-127, 127]
            const float sc = quant_sym(x, -127.0f, 127.0f, kTsQ8_0, 4, 1, L);
            store_scale(blk, sc);
            int8_t* qs = reinterpret_cast<int8_t*>(blk + 2);
#pragma unroll
            for (int j = 0; j < 32; j++) qs[j] = int8_t(L[j]);
        } else if constexpr (TYPE == Type::Q4_0) {
            const float sc = quant_sym(x, -8.0f, 7.0f, kTsQ4_0, 10, 2, L);
            store_scale(blk, sc);
            pack_nibbles(L, 8, reinterpret_cast<uint8_t*>(blk + 2));
        } else {
            const float sc = quant_sym(x, -16.0f, 15.0f, kTsQ5_0, 10, 2, L);
            store_scale(blk, sc);
            // bit i of qh (as a little-endian u32): the fifth bit of element i's code
            uint32_t h = 0;
#pragma unroll
            for (int j = 0; j < 32; j++) h |= uint32_t(((int(L[j]) + 16) >> 4) & 1) << j;
            uint8_t* qh = reinterpret_cast<uint8_t*>(blk + 2);
#pragma unroll
            for (int j = 0; j < 4; j++) qh[j] = uint8_t(h >> (8 * j));
            pack_nibbles(L, 16, reinterpret_cast<uint8_t*>(blk + 6));
        }
    }
}

}  // namespace

void op_cpy(const OpContext& c, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    const TensorDesc s = desc(a), d = desc(dst);
    if (cpy_dst_block_type(dst->type)) {
        // The graph builder checked: same shape as the source, rows of whole blocks.
        const int64_t n_blocks = dst->ne[0] / 32 * dst->nrows();
        if (n_blocks == 0) return;
        const unsigned grid = blocks_for(n_blocks, kThreads);
        if (dst->type == Type::Q8_0) launch_kernel(cpy_quant_kernel<Type::Q8_0>, grid, kThreads, 0, c.stream, s, d, n_blocks);
        else if (dst->type == Type::Q4_0) launch_kernel(cpy_quant_kernel<Type::Q4_0>, grid, kThreads, 0, c.stream, s, d, n_blocks);
        else launch_kernel(cpy_quant_kernel<Type::Q5_0>, grid, kThreads, 0, c.stream, s, d, n_blocks);
    } else {
        const int64_t n = dst->nelements();
        if (n == 0) return;
        launch_kernel(cpy_float_kernel, blocks_for(n, kThreads), kThreads, 0, c.stream, s, d, n);
    }
    check_launch("cpy");
}

}  // namespace ggml::GIRAFFE_CUDA_NS
