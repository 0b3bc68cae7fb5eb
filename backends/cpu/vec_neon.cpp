// NEON (AArch64 Advanced SIMD) versions of the vec.h kernels: the structure of vec_avx2.cpp at 4 floats per
// register, plus the many-row dots and weighted row sums of decode (vec_avx512.cpp's, sized for 32 registers).
// Scalar tails. Compiled only on ARM, for plain ARMv8 (the table serves the dotprod level too).
#include <arm_neon.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/cpu/gemm.h"
#include "ggml/type.h"

namespace ggml::cpu {
namespace {

inline float32x4_t load_f16(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
inline float32x4_t load_bf16(const uint16_t* p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
}
// 8 codes (f16 or bf16) at p as two float vectors.
template <bool BF16>
inline void load_h8(const uint16_t* p, float32x4_t* lo, float32x4_t* hi) {
    const uint16x8_t h = vld1q_u16(p);
    if constexpr (BF16) {
        *lo = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(h), 16));
        *hi = vreinterpretq_f32_u32(vshll_high_n_u16(h, 16));
    } else {
        *lo = vcvt_f32_f16(vreinterpret_f16_u16(vget_low_u16(h)));
        *hi = vcvt_high_f32_f16(vreinterpretq_f16_u16(h));
    }
}
template <bool BF16>
inline float h16_to_f32(uint16_t h) {
    return BF16 ? bf16_to_fp32(h) : fp16_to_fp32(h);
}

// exp(x) for 4 floats: vec_avx2.cpp's exp8 (Cody-Waite reduction by ln2, degree-7 Taylor polynomial, 2^n
// applied as two factors so results reach the subnormals); see there for the error bound. x > 88.72 gives
// inf, x < -103.97 gives 0, NaN stays NaN.
inline float32x4_t exp4(float32x4_t x) {
    const float32x4_t hi = vdupq_n_f32(88.72283935546875f), lo = vdupq_n_f32(-103.97208f);
    const float32x4_t xc = vminq_f32(vmaxq_f32(x, lo), hi);
    const float32x4_t n = vrndnq_f32(vmulq_n_f32(xc, 1.44269504088896341f));
    float32x4_t r = vfmsq_f32(xc, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.0f / 5040);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 720), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 120), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 24), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 6), p, r);
    p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    const int32x4_t ni = vcvtq_s32_f32(n);  // n is integral already
    const int32x4_t n1 = vshrq_n_s32(ni, 1), n2 = vsubq_s32(ni, n1);
    const int32x4_t bias = vdupq_n_s32(127);
    const float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, bias), 23));
    const float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, bias), 23));
    float32x4_t res = vmulq_f32(vmulq_f32(p, s1), s2);
    res = vbslq_f32(vcgtq_f32(x, hi), vdupq_n_f32(std::numeric_limits<float>::infinity()), res);
    res = vbslq_f32(vcltq_f32(x, lo), vdupq_n_f32(0.0f), res);
    res = vbslq_f32(vceqq_f32(x, x), res, x);  // NaN in, NaN out
    return res;
}
inline float exp1(float x) { return vgetq_lane_f32(exp4(vdupq_n_f32(x)), 0); }
inline float32x4_t silu4(float32x4_t x) { return vdivq_f32(x, vaddq_f32(vdupq_n_f32(1.0f), exp4(vnegq_f32(x)))); }
inline float silu1(float x) { return x / (1.0f + exp1(-x)); }

template <class Op, class Op1>
inline void binary(int64_t n, float* z, const float* x, const float* y, Op op, Op1 op1) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(z + i, op(vld1q_f32(x + i), vld1q_f32(y + i)));
    for (; i < n; i++) z[i] = op1(x[i], y[i]);
}
void v_add(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](float32x4_t a, float32x4_t b) { return vaddq_f32(a, b); }, [](float a, float b) { return a + b; });
}
void v_sub(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](float32x4_t a, float32x4_t b) { return vsubq_f32(a, b); }, [](float a, float b) { return a - b; });
}
void v_mul(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](float32x4_t a, float32x4_t b) { return vmulq_f32(a, b); }, [](float a, float b) { return a * b; });
}
void v_div(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](float32x4_t a, float32x4_t b) { return vdivq_f32(a, b); }, [](float a, float b) { return a / b; });
}
void v_scale(int64_t n, float* z, const float* x, float s, float b) {
    const float32x4_t vs = vdupq_n_f32(s), vb = vdupq_n_f32(b);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(z + i, vfmaq_f32(vb, vld1q_f32(x + i), vs));
    for (; i < n; i++) z[i] = std::fma(x[i], s, b);
}

template <class Load4, class Load1>
inline float dot(int64_t n, const float* y, Load4 load4, Load1 load1) {
    float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = vfmaq_f32(a0, load4(i), vld1q_f32(y + i));
        a1 = vfmaq_f32(a1, load4(i + 4), vld1q_f32(y + i + 4));
        a2 = vfmaq_f32(a2, load4(i + 8), vld1q_f32(y + i + 8));
        a3 = vfmaq_f32(a3, load4(i + 12), vld1q_f32(y + i + 12));
    }
    for (; i + 4 <= n; i += 4) a0 = vfmaq_f32(a0, load4(i), vld1q_f32(y + i));
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
    for (; i < n; i++) s += load1(i) * y[i];
    return s;
}
float v_dot_f32(int64_t n, const float* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return vld1q_f32(x + i); }, [x](int64_t i) { return x[i]; });
}
float v_dot_f16(int64_t n, const uint16_t* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return load_f16(x + i); }, [x](int64_t i) { return fp16_to_fp32(x[i]); });
}
float v_dot_bf16(int64_t n, const uint16_t* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return load_bf16(x + i); }, [x](int64_t i) { return bf16_to_fp32(x[i]); });
}

// NX 16-bit rows against NY f32 rows: NX x NY accumulators, each 8 codes converted once for the NY rows of y,
// each 8 values of y loaded once for the NX rows of x. `ahead`: x rows to request into L2 meanwhile (the next
// tile's, on the first pass over these), or null.
template <bool BF16, int NX, int NY>
void dot_h16_tile(int64_t n, const uint16_t* x, size_t ldx, const float* const* y, float* out, size_t ldo,
                  const uint16_t* ahead) {
    float32x4_t acc[NX][NY];
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++) acc[i][j] = vdupq_n_f32(0.0f);
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) {
        if (ahead && k % 32 == 0)
            for (int i = 0; i < NX; i++) __builtin_prefetch(ahead + size_t(i) * ldx + k, 0, 2);
        float32x4_t v[NX][2];
        for (int i = 0; i < NX; i++) load_h8<BF16>(x + size_t(i) * ldx + k, &v[i][0], &v[i][1]);
        for (int j = 0; j < NY; j++) {
            const float32x4_t p0 = vld1q_f32(y[j] + k), p1 = vld1q_f32(y[j] + k + 4);
            for (int i = 0; i < NX; i++) acc[i][j] = vfmaq_f32(vfmaq_f32(acc[i][j], v[i][0], p0), v[i][1], p1);
        }
    }
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++) {
            float s = vaddvq_f32(acc[i][j]);
            for (int64_t t = k; t < n; t++) s += h16_to_f32<BF16>(x[size_t(i) * ldx + size_t(t)]) * y[j][t];
            out[size_t(j) * ldo + size_t(i)] = s;
        }
}
#include "backends/cpu/vec_h16_block.inl"

// Sixteen rows (F16 or F32, ldx bytes apart, n a multiple of 16, at most 256) against ny f32 rows (ldy floats
// apart): out[j * ldo + i] = dot(x row i, y row j) (decode attention's scores: 16 cached keys against a KV
// head's query rows). The rows are converted once into L1; each y row then takes 16 dots in 16 accumulators,
// reduced four rows at a time by pairwise adds into one vector of 4 sums.
void dot_rows16_block(Type t, int64_t n, const char* x, size_t ldx, const float* y, size_t ldy, int ny, float* out,
                      size_t ldo, LinePrefetcher& pf) {
    alignas(16) float xf[16 * 256];
    const int64_t nv = n / 4;
    for (int i = 0; i < 16; i++) {
        const char* row = x + size_t(i) * ldx;
        for (int64_t c = 0; c < nv; c++)
            vst1q_f32(xf + i * n + 4 * c, t == Type::F32 ? vld1q_f32(reinterpret_cast<const float*>(row) + 4 * c)
                                                         : load_f16(reinterpret_cast<const uint16_t*>(row) + 4 * c));
    }
    for (int j = 0; j < ny; j++) {
        pf.step();
        const float* yj = y + size_t(j) * ldy;
        float32x4_t acc[16];
        const float32x4_t q0 = vld1q_f32(yj);
        for (int i = 0; i < 16; i++) acc[i] = vmulq_f32(vld1q_f32(xf + i * n), q0);
        for (int64_t c = 1; c < nv; c++) {
            const float32x4_t q = vld1q_f32(yj + 4 * c);
            for (int i = 0; i < 16; i++) acc[i] = vfmaq_f32(acc[i], vld1q_f32(xf + i * n + 4 * c), q);
        }
        for (int g = 0; g < 4; g++) {
            const float32x4_t* a = acc + 4 * g;
            vst1q_f32(out + size_t(j) * ldo + 4 * g, vpaddq_f32(vpaddq_f32(a[0], a[1]), vpaddq_f32(a[2], a[3])));
        }
    }
}
// nx rows (a multiple of 16), sixteen at a time; the lines `ahead` asked for a few per query row of each block.
void v_dot_rows16(Type t, int64_t n, const void* x, size_t ldx, int64_t nx, const float* y, size_t ldy, int ny,
                  float* out, size_t ldo, const PrefetchRows& ahead) {
    LinePrefetcher pf(ahead, nx / 16 * ny);
    for (int64_t i = 0; i < nx; i += 16)
        dot_rows16_block(t, n, static_cast<const char*>(x) + size_t(i) * ldx, ldx, y, ldy, ny, out + i, ldo, pf);
    pf.rest();
}

// Row x_i's 4 values at d (type t) as floats.
inline float32x4_t load_row4(Type t, const char* row, int64_t d) {
    if (t == Type::F32) return vld1q_f32(reinterpret_cast<const float*>(row) + d);
    const uint16_t* h = reinterpret_cast<const uint16_t*>(row) + d;
    return t == Type::BF16 ? load_bf16(h) : load_f16(h);
}

// NY accumulator rows kept in registers, columns [d0, d0 + 4 NV), while the nx value rows stream past: per value
// row, NV loads (converted) and NY x NV multiply-adds with broadcast weights.
template <int NY, int NV>
void mad_tile(Type t, int64_t d0, const char* x, size_t ldx, int64_t nx, const float* w, float* acc, size_t lda,
              LinePrefetcher& pf) {
    float32x4_t a[NY][NV];
    for (int j = 0; j < NY; j++)
        for (int c = 0; c < NV; c++) a[j][c] = vld1q_f32(acc + size_t(j) * lda + size_t(d0 + 4 * c));
    for (int64_t i = 0; i < nx; i++) {
        const char* row = x + size_t(i) * ldx;
        pf.step();
        float32x4_t v[NV];
        for (int c = 0; c < NV; c++) v[c] = load_row4(t, row, d0 + 4 * c);
        for (int j = 0; j < NY; j++) {
            const float wi = w[size_t(i) * kMadRows + size_t(j)];
            for (int c = 0; c < NV; c++) a[j][c] = vfmaq_n_f32(a[j][c], v[c], wi);
        }
    }
    for (int j = 0; j < NY; j++)
        for (int c = 0; c < NV; c++) vst1q_f32(acc + size_t(j) * lda + size_t(d0 + 4 * c), a[j][c]);
}
// NY rows: blocks as wide as the registers allow (NV vectors: 16 floats, a whole line of f32 values, for up to 4
// rows; 8 floats for 5..8 rows), then single vectors, then the last columns one at a time (mad_columns).
template <int NY, int NV>
__attribute__((always_inline)) inline void mad_rows_ny(Type t, int64_t n, const char* x, size_t ldx, int64_t nx,
                                                       const float* w, float* acc, size_t lda, LinePrefetcher& pf) {
    int64_t d = 0;
    for (; d + 4 * NV <= n; d += 4 * NV) mad_tile<NY, NV>(t, d, x, ldx, nx, w, acc, lda, pf);
    for (; d + 4 <= n; d += 4) mad_tile<NY, 1>(t, d, x, ldx, nx, w, acc, lda, pf);
    mad_columns(t, d, n, NY, x, ldx, nx, w, kMadRows, 1, acc, lda);
}
constexpr int kMadLanes = 4, kMadNV = 4, kMadNVMany = 2;
#include "backends/cpu/vec_mad_rows.inl"

double v_sum_sq(int64_t n, const float* x) {
    float64x2_t a0 = vdupq_n_f64(0), a1 = a0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t v = vld1q_f32(x + i);
        const float64x2_t l = vcvt_f64_f32(vget_low_f32(v)), h = vcvt_high_f64_f32(v);
        a0 = vfmaq_f64(a0, l, l);
        a1 = vfmaq_f64(a1, h, h);
    }
    double s = vaddvq_f64(vaddq_f64(a0, a1));
    for (; i < n; i++) s += double(x[i]) * double(x[i]);
    return s;
}
double v_sum(int64_t n, const float* x) {
    float64x2_t a0 = vdupq_n_f64(0), a1 = a0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t v = vld1q_f32(x + i);
        a0 = vaddq_f64(a0, vcvt_f64_f32(vget_low_f32(v)));
        a1 = vaddq_f64(a1, vcvt_high_f64_f32(v));
    }
    double s = vaddvq_f64(vaddq_f64(a0, a1));
    for (; i < n; i++) s += double(x[i]);
    return s;
}
float v_max(int64_t n, const float* x) {
    float m = -std::numeric_limits<float>::infinity();
    int64_t i = 0;
    if (n >= 4) {
        float32x4_t vm = vld1q_f32(x);
        for (i = 4; i + 4 <= n; i += 4) vm = vmaxq_f32(vm, vld1q_f32(x + i));
        m = vmaxvq_f32(vm);
    }
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
// The sum in double (as the scalar kernel's): a softmax row of thousands of terms keeps its float accuracy.
float v_exp_sum(int64_t n, float* z, const float* x, float m) {
    const float32x4_t vm = vdupq_n_f32(m);
    float64x2_t acc = vdupq_n_f64(0.0);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t e = exp4(vsubq_f32(vld1q_f32(x + i), vm));
        vst1q_f32(z + i, e);
        acc = vaddq_f64(acc, vaddq_f64(vcvt_f64_f32(vget_low_f32(e)), vcvt_high_f64_f32(e)));
    }
    double s = vaddvq_f64(acc);
    for (; i < n; i++) {
        z[i] = exp1(x[i] - m);
        s += double(z[i]);
    }
    return float(s);
}
void v_silu(int64_t n, float* z, const float* x) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(z + i, silu4(vld1q_f32(x + i)));
    for (; i < n; i++) z[i] = silu1(x[i]);
}
void v_swiglu(int64_t n, float* z, const float* g, const float* u) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(z + i, vmulq_f32(silu4(vld1q_f32(g + i)), vld1q_f32(u + i)));
    for (; i < n; i++) z[i] = silu1(g[i]) * u[i];
}
// FCVT quiets signalling NaNs; clear the quiet bit again for those lanes to keep the payload exact.
void v_f16_to_f32(int64_t n, float* z, const uint16_t* x) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32x4_t w = vmovl_u16(vld1_u16(x + i));
        const uint32x4_t snan = vandq_u32(vceqq_u32(vandq_u32(w, vdupq_n_u32(0x7e00)), vdupq_n_u32(0x7c00)),
                                          vtstq_u32(w, vdupq_n_u32(0x1ff)));
        const uint32x4_t f = vreinterpretq_u32_f32(load_f16(x + i));
        vst1q_f32(z + i, vreinterpretq_f32_u32(vbicq_u32(f, vandq_u32(snan, vdupq_n_u32(0x400000)))));
    }
    for (; i < n; i++) z[i] = fp16_to_fp32(x[i]);
}
void v_f32_to_f16(int64_t n, uint16_t* z, const float* x) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1_u16(z + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
    for (; i < n; i++) z[i] = fp32_to_fp16(x[i]);
}
void v_bf16_to_f32(int64_t n, float* z, const uint16_t* x) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(z + i, load_bf16(x + i));
    for (; i < n; i++) z[i] = bf16_to_fp32(x[i]);
}
// Round to nearest even on the integer bits (the same arithmetic as fp32_to_bf16); NaN keeps its top bits with
// the quiet bit set.
void v_f32_to_bf16(int64_t n, uint16_t* z, const float* x) {
    const uint32x4_t one = vdupq_n_u32(1), rnd = vdupq_n_u32(0x7fff), inf = vdupq_n_u32(0x7f800000);
    const uint32x4_t abs_mask = vdupq_n_u32(0x7fffffff), quiet = vdupq_n_u32(64);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32x4_t v = vreinterpretq_u32_f32(vld1q_f32(x + i));
        const uint32x4_t top = vshrq_n_u32(v, 16);
        const uint32x4_t r = vshrq_n_u32(vaddq_u32(v, vaddq_u32(rnd, vandq_u32(top, one))), 16);
        const uint32x4_t nan = vcgtq_u32(vandq_u32(v, abs_mask), inf);
        vst1_u16(z + i, vmovn_u32(vbslq_u32(nan, vorrq_u32(top, quiet), r)));
    }
    for (; i < n; i++) z[i] = fp32_to_bf16(x[i]);
}

// Four lines per step, one accumulator each, every line prefetched as the decode dots do.
uint64_t v_xor_lines(const void* p, size_t lines) {
    const uint8_t* c = static_cast<const uint8_t*>(p);
    uint64x2_t acc[4] = {vdupq_n_u64(0), vdupq_n_u64(0), vdupq_n_u64(0), vdupq_n_u64(0)};
    for (size_t i = 0; i < lines; i++, c += 64) {
        __builtin_prefetch(c + kPrefetchBytes);
        const uint8x16x4_t v = vld1q_u8_x4(c);
        const uint8x16_t x = veorq_u8(veorq_u8(v.val[0], v.val[1]), veorq_u8(v.val[2], v.val[3]));
        acc[i % 4] = veorq_u64(acc[i % 4], vreinterpretq_u64_u8(x));
    }
    const uint64x2_t x = veorq_u64(veorq_u64(acc[0], acc[1]), veorq_u64(acc[2], acc[3]));
    return vgetq_lane_u64(x, 0) ^ vgetq_lane_u64(x, 1);
}

}  // namespace

const VecTable& vec_table_neon() {
    static const VecTable t = {v_add, v_sub, v_mul, v_div, v_scale, v_dot_f32, v_dot_f16, v_dot_bf16,
                               v_sum_sq, v_sum, v_max, v_exp_sum, v_silu, v_swiglu, v_f16_to_f32,
                               v_f32_to_f16, v_bf16_to_f32, v_f32_to_bf16, v_dot_block16, v_dot_rows16,
                               nullptr, v_mad_rows, v_xor_lines};
    return t;
}

}  // namespace ggml::cpu
