// AVX2 + FMA + F16C versions of the vec.h kernels (8 floats per register; scalar tails).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "backends/cpu/block_parts.h"
#include "backends/cpu/gemm.h"
#include "ggml/quants.h"
#include "ggml/type.h"

namespace ggml::cpu {
namespace {

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
inline double hsum_pd(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
}
inline __m256 load_f16(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256 load_bf16(const uint16_t* p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

// exp(x) for 8 floats. x = n*ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2), exp(r) by its degree-7
// Taylor polynomial (truncation < 1e-8 relative), 2^n applied as two factors 2^(n/2) so the whole range
// [-103.97, 88.72] (down into the subnormals) is covered. Measured max relative error against double exp on
// 2e6 points of [-87, 88.7]: 7.7e-8 (libm expf: 6.0e-8), i.e. about 1 ulp. x > 88.72 gives inf,
// x < -103.97 gives 0, NaN stays NaN.
inline __m256 exp8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(88.72283935546875f), lo = _mm256_set1_ps(-103.97208f);
    const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    __m256 res = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    res = _mm256_blendv_ps(res, _mm256_set1_ps(std::numeric_limits<float>::infinity()),
                           _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
    res = _mm256_blendv_ps(res, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
    res = _mm256_blendv_ps(res, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
    return res;
}
inline float exp1(float x) {
    float out[8];
    _mm256_storeu_ps(out, exp8(_mm256_set1_ps(x)));
    return out[0];
}
inline __m256 silu8(__m256 x) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}
inline float silu1(float x) { return x / (1.0f + exp1(-x)); }

template <class Op, class Op1>
inline void binary(int64_t n, float* z, const float* x, const float* y, Op op, Op1 op1) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(z + i, op(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) z[i] = op1(x[i], y[i]);
}
void v_add(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](__m256 a, __m256 b) { return _mm256_add_ps(a, b); }, [](float a, float b) { return a + b; });
}
void v_sub(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }, [](float a, float b) { return a - b; });
}
void v_mul(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }, [](float a, float b) { return a * b; });
}
void v_div(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](__m256 a, __m256 b) { return _mm256_div_ps(a, b); }, [](float a, float b) { return a / b; });
}
void v_scale(int64_t n, float* z, const float* x, float s, float b) {
    const __m256 vs = _mm256_set1_ps(s), vb = _mm256_set1_ps(b);
    int64_t i = 0;
    // One fused multiply-add (the compiler would contract x*s + b anyway): within 1 ulp of the scalar result.
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(z + i, _mm256_fmadd_ps(_mm256_loadu_ps(x + i), vs, vb));
    for (; i < n; i++) z[i] = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(x[i]), _mm_set_ss(s), _mm_set_ss(b)));
}

template <class Load8, class Load1>
inline float dot(int64_t n, const float* y, Load8 load8, Load1 load1) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(load8(i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(load8(i + 8), _mm256_loadu_ps(y + i + 8), a1);
        a2 = _mm256_fmadd_ps(load8(i + 16), _mm256_loadu_ps(y + i + 16), a2);
        a3 = _mm256_fmadd_ps(load8(i + 24), _mm256_loadu_ps(y + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(load8(i), _mm256_loadu_ps(y + i), a0);
    float s = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) s += load1(i) * y[i];
    return s;
}
float v_dot_f32(int64_t n, const float* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return _mm256_loadu_ps(x + i); }, [x](int64_t i) { return x[i]; });
}
float v_dot_f16(int64_t n, const uint16_t* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return load_f16(x + i); }, [x](int64_t i) { return fp16_to_fp32(x[i]); });
}
float v_dot_bf16(int64_t n, const uint16_t* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return load_bf16(x + i); }, [x](int64_t i) { return bf16_to_fp32(x[i]); });
}

double v_sum_sq(int64_t n, const float* x) {
    __m256d a0 = _mm256_setzero_pd(), a1 = a0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256d l = _mm256_cvtps_pd(_mm256_castps256_ps128(v)), h = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
        a0 = _mm256_fmadd_pd(l, l, a0);
        a1 = _mm256_fmadd_pd(h, h, a1);
    }
    double s = hsum_pd(_mm256_add_pd(a0, a1));
    for (; i < n; i++) s += double(x[i]) * double(x[i]);
    return s;
}
double v_sum(int64_t n, const float* x) {
    __m256d a0 = _mm256_setzero_pd(), a1 = a0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    double s = hsum_pd(_mm256_add_pd(a0, a1));
    for (; i < n; i++) s += double(x[i]);
    return s;
}
float v_max(int64_t n, const float* x) {
    float m = -std::numeric_limits<float>::infinity();
    int64_t i = 0;
    if (n >= 8) {
        __m256 vm = _mm256_loadu_ps(x);
        for (i = 8; i + 8 <= n; i += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(x + i));
        __m128 s = _mm_max_ps(_mm256_castps256_ps128(vm), _mm256_extractf128_ps(vm, 1));
        s = _mm_max_ps(s, _mm_movehl_ps(s, s));
        s = _mm_max_ss(s, _mm_movehdup_ps(s));
        m = _mm_cvtss_f32(s);
    }
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
float v_exp_sum(int64_t n, float* z, const float* x, float m) {
    const __m256 vm = _mm256_set1_ps(m);
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm));
        _mm256_storeu_ps(z + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float s = hsum(acc);
    for (; i < n; i++) {
        z[i] = exp1(x[i] - m);
        s += z[i];
    }
    return s;
}
void v_silu(int64_t n, float* z, const float* x) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(z + i, silu8(_mm256_loadu_ps(x + i)));
    for (; i < n; i++) z[i] = silu1(x[i]);
}
void v_swiglu(int64_t n, float* z, const float* g, const float* u) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(z + i, _mm256_mul_ps(silu8(_mm256_loadu_ps(g + i)), _mm256_loadu_ps(u + i)));
    for (; i < n; i++) z[i] = silu1(g[i]) * u[i];
}
// vcvtph2ps quiets signalling NaNs; clear the quiet bit again for those lanes to keep the payload exact.
void v_f16_to_f32(int64_t n, float* z, const uint16_t* x) {
    const __m256i exp_q = _mm256_set1_epi32(0x7e00), snan_exp = _mm256_set1_epi32(0x7c00);
    const __m256i payload = _mm256_set1_epi32(0x1ff), quiet32 = _mm256_set1_epi32(0x400000);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
        const __m256i w = _mm256_cvtepu16_epi32(h);
        const __m256i snan = _mm256_andnot_si256(_mm256_cmpeq_epi32(_mm256_and_si256(w, payload), _mm256_setzero_si256()),
                                                 _mm256_cmpeq_epi32(_mm256_and_si256(w, exp_q), snan_exp));
        const __m256 f = _mm256_cvtph_ps(h);
        _mm256_storeu_ps(z + i, _mm256_andnot_ps(_mm256_castsi256_ps(_mm256_and_si256(snan, quiet32)), f));
    }
    for (; i < n; i++) z[i] = fp16_to_fp32(x[i]);
}
void v_f32_to_f16(int64_t n, uint16_t* z, const float* x) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(z + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++) z[i] = fp32_to_fp16(x[i]);
}
void v_bf16_to_f32(int64_t n, float* z, const uint16_t* x) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(z + i, load_bf16(x + i));
    for (; i < n; i++) z[i] = bf16_to_fp32(x[i]);
}
// Round to nearest even on the integer bits (the same arithmetic as fp32_to_bf16); NaN keeps its top bits
// with the quiet bit set.
void v_f32_to_bf16(int64_t n, uint16_t* z, const float* x) {
    const __m256i one = _mm256_set1_epi32(1), rnd = _mm256_set1_epi32(0x7fff);
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
    const __m256i quiet = _mm256_set1_epi32(64);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i v = _mm256_castps_si256(_mm256_loadu_ps(x + i));
        const __m256i top = _mm256_srli_epi32(v, 16);
        const __m256i r = _mm256_srli_epi32(_mm256_add_epi32(v, _mm256_add_epi32(rnd, _mm256_and_si256(top, one))), 16);
        const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(v, abs_mask), inf);
        const __m256i out = _mm256_blendv_epi8(r, _mm256_or_si256(top, quiet), nan);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(z + i),
                         _mm_packus_epi32(_mm256_castsi256_si128(out), _mm256_extracti128_si256(out, 1)));
    }
    for (; i < n; i++) z[i] = fp32_to_bf16(x[i]);
}

// Decode attention's value update (VecTable::mad_rows): NY accumulator rows kept in registers, 8 NV columns
// at a time, while the nx value rows (F32, F16 or BF16) stream past: per value row, NV loads (converted) and
// NY x NV broadcast multiply-adds. Sixteen registers hold 4 x 2 or 8 x 1 accumulators; columns past the last
// multiple of 8 NV are added one at a time (mad_columns).
inline __m256 load_row8(Type t, const char* row, int64_t d) {
    if (t == Type::F32) return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + d);
    const uint16_t* h = reinterpret_cast<const uint16_t*>(row) + d;
    return t == Type::BF16 ? load_bf16(h) : load_f16(h);
}
template <int NY, int NV>
__attribute__((always_inline)) inline void mad_rows_ny(Type t, int64_t n, const char* x, size_t ldx, int64_t nx,
                                                       const float* w, float* acc, size_t lda, LinePrefetcher& pf) {
    int64_t d0 = 0;
    for (; d0 + 8 * NV <= n; d0 += 8 * NV) {
        __m256 a[NY][NV];
        for (int j = 0; j < NY; j++)
            for (int c = 0; c < NV; c++) a[j][c] = _mm256_loadu_ps(acc + size_t(j) * lda + size_t(d0 + 8 * c));
        for (int64_t i = 0; i < nx; i++) {
            const char* row = x + size_t(i) * ldx;
            pf.step();
            __m256 v[NV];
            for (int c = 0; c < NV; c++) v[c] = load_row8(t, row, d0 + 8 * c);
            for (int j = 0; j < NY; j++) {
                const __m256 p = _mm256_broadcast_ss(w + size_t(i) * kMadRows + size_t(j));
                for (int c = 0; c < NV; c++) a[j][c] = _mm256_fmadd_ps(p, v[c], a[j][c]);
            }
        }
        for (int j = 0; j < NY; j++)
            for (int c = 0; c < NV; c++) _mm256_storeu_ps(acc + size_t(j) * lda + size_t(d0 + 8 * c), a[j][c]);
    }
    mad_columns(t, d0, n, NY, x, ldx, nx, w, kMadRows, 1, acc, lda);
}
constexpr int kMadLanes = 8, kMadNV = 2, kMadNVMany = 1;
#include "backends/cpu/vec_mad_rows.inl"

// Rows of the quantized KV cache's block types as f32, each value d * (code - offset) [+ m] exactly as the
// reference dequantizers compute it (the AVX-512 file's v_dequant at half the width, eight codes at a time;
// block_parts.h). The minimum is added to the rounded product, through an empty asm that keeps any compiler
// from fusing the two.
bool v_dequant(Type t, const void* x, float* y, int64_t n) {
    const BlockParts parts = block_parts(t);
    if (!parts.bytes) return false;
    const char* b = static_cast<const char*>(x);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), offset = _mm256_set1_epi32(parts.offset);
    for (int64_t i = 0; i < n; i += 32, b += parts.bytes, y += 32) {
        const __m256 d = _mm256_set1_ps(_cvtsh_ss(block_f16_bits(b, 0)));
        const __m256 m = parts.m >= 0 ? _mm256_set1_ps(_cvtsh_ss(block_f16_bits(b, parts.m))) : _mm256_setzero_ps();
        uint32_t qh = 0;
        if (parts.qh >= 0) std::memcpy(&qh, b + parts.qh, 4);
        for (int k = 0; k < 4; k++) {  // values 8k .. 8k + 7
            __m256i q;
            if (t == Type::Q8_0) {
                q = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + parts.qs + 8 * k)));
            } else {
                const __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + parts.qs + 8 * (k % 2))));
                q = k < 2 ? _mm256_and_si256(c, _mm256_set1_epi32(0x0F)) : _mm256_srli_epi32(c, 4);
                if (parts.qh >= 0) {
                    const __m256i bit = _mm256_and_si256(
                        _mm256_srlv_epi32(_mm256_set1_epi32(int(qh >> (8 * k))), lanes), _mm256_set1_epi32(1));
                    q = _mm256_or_si256(q, _mm256_slli_epi32(bit, 4));
                }
                q = _mm256_sub_epi32(q, offset);
            }
            __m256 v = _mm256_mul_ps(d, _mm256_cvtepi32_ps(q));
            if (parts.m >= 0) {
                __asm__("" : "+x"(v));
                v = _mm256_add_ps(v, m);
            }
            _mm256_storeu_ps(y + 8 * k, v);
        }
    }
    return true;
}

// Four lines per step, one accumulator each, every line prefetched as the decode dots do.
uint64_t v_xor_lines(const void* p, size_t lines) {
    const char* c = static_cast<const char*>(p);
    auto line = [](const char* q) {
        return _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)),
                                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32)));
    };
    __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
    for (size_t i = 0; i < lines; i++, c += 64) {
        _mm_prefetch(c + kPrefetchBytes, _MM_HINT_T0);
        acc[i % 4] = _mm256_xor_si256(acc[i % 4], line(c));
    }
    const __m256i x = _mm256_xor_si256(_mm256_xor_si256(acc[0], acc[1]), _mm256_xor_si256(acc[2], acc[3]));
    return uint64_t(_mm256_extract_epi64(x, 0) ^ _mm256_extract_epi64(x, 1) ^ _mm256_extract_epi64(x, 2) ^
                    _mm256_extract_epi64(x, 3));
}

}  // namespace

const VecTable& vec_table_avx2() {
    static const VecTable t = {v_add, v_sub, v_mul, v_div, v_scale, v_dot_f32, v_dot_f16, v_dot_bf16,
                               v_sum_sq, v_sum, v_max, v_exp_sum, v_silu, v_swiglu, v_f16_to_f32,
                               v_f32_to_f16, v_bf16_to_f32, v_f32_to_bf16, nullptr, nullptr, v_dequant,
                               v_mad_rows, v_xor_lines};
    return t;
}

}  // namespace ggml::cpu
