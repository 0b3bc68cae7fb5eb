// AVX-512 (F/BW/VL/DQ) versions of the vec.h kernels: the AVX2 file's structure at 16 floats per register.
// Not executed on machines without AVX-512; kept a line-for-line mirror of vec_avx2.cpp, plus the many-row
// dots of decode (AVX2 machines take single dots there) and the quantized KV cache's dequantizers.
// GCC 12's AVX-512 headers build some results from self-initialised `undefined` vectors, which trips
// -Wuninitialized once inlined here (a known false positive of the headers, not of this code).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "backends/cpu/block_parts.h"
#include "backends/cpu/gemm.h"
#include "ggml/quants.h"
#include "ggml/type.h"

namespace ggml::cpu {
namespace {

inline __m512 load_f16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
inline __m512 load_bf16(const uint16_t* p) {
    const __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
}

// exp(x): the same method and constants as exp8 in vec_avx2.cpp (see there for the error bound), with 2^n
// applied by one scalef, which rounds once as exp8's two factors do and gives inf above the range and
// zero or a subnormal below it. The clamp keeps infinite x out of the reduction (x - inf * ln2 would be NaN)
// and lets NaN through: max and min return their second operand when one of them is NaN.
inline __m512 exp16(__m512 x) {
    const __m512 xc = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}
inline float exp1(float x) {
    float out[16];
    _mm512_storeu_ps(out, exp16(_mm512_set1_ps(x)));
    return out[0];
}
inline __m512 silu16(__m512 x) {
    const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), x));
    return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}
inline float silu1(float x) { return x / (1.0f + exp1(-x)); }

template <class Op, class Op1>
inline void binary(int64_t n, float* z, const float* x, const float* y, Op op, Op1 op1) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(z + i, op(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    for (; i < n; i++) z[i] = op1(x[i], y[i]);
}
void v_add(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](__m512 a, __m512 b) { return _mm512_add_ps(a, b); }, [](float a, float b) { return a + b; });
}
void v_sub(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](__m512 a, __m512 b) { return _mm512_sub_ps(a, b); }, [](float a, float b) { return a - b; });
}
void v_mul(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](__m512 a, __m512 b) { return _mm512_mul_ps(a, b); }, [](float a, float b) { return a * b; });
}
void v_div(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](__m512 a, __m512 b) { return _mm512_div_ps(a, b); }, [](float a, float b) { return a / b; });
}
void v_scale(int64_t n, float* z, const float* x, float s, float b) {
    const __m512 vs = _mm512_set1_ps(s), vb = _mm512_set1_ps(b);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(z + i, _mm512_fmadd_ps(_mm512_loadu_ps(x + i), vs, vb));
    for (; i < n; i++) z[i] = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(x[i]), _mm_set_ss(s), _mm_set_ss(b)));
}

template <class Load16, class Load1>
inline float dot(int64_t n, const float* y, Load16 load16, Load1 load1) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_fmadd_ps(load16(i), _mm512_loadu_ps(y + i), a0);
        a1 = _mm512_fmadd_ps(load16(i + 16), _mm512_loadu_ps(y + i + 16), a1);
        a2 = _mm512_fmadd_ps(load16(i + 32), _mm512_loadu_ps(y + i + 32), a2);
        a3 = _mm512_fmadd_ps(load16(i + 48), _mm512_loadu_ps(y + i + 48), a3);
    }
    for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(load16(i), _mm512_loadu_ps(y + i), a0);
    float s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    for (; i < n; i++) s += load1(i) * y[i];
    return s;
}
float v_dot_f32(int64_t n, const float* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return _mm512_loadu_ps(x + i); }, [x](int64_t i) { return x[i]; });
}
float v_dot_f16(int64_t n, const uint16_t* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return load_f16(x + i); }, [x](int64_t i) { return fp16_to_fp32(x[i]); });
}
float v_dot_bf16(int64_t n, const uint16_t* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return load_bf16(x + i); }, [x](int64_t i) { return bf16_to_fp32(x[i]); });
}

// 16-bit codes (f16 or bf16) as 16 floats.
template <bool BF16>
inline __m512 load_h16(const uint16_t* p) {
    return BF16 ? load_bf16(p) : load_f16(p);
}
template <bool BF16>
inline float h16_to_f32(uint16_t h) {
    return BF16 ? bf16_to_fp32(h) : fp16_to_fp32(h);
}

// NX 16-bit rows against NY f32 rows: 16 accumulators, each 16 codes converted once for NY rows of y,
// each 16 values of y loaded once for NX rows of x. `ahead`: x rows to request into L2 meanwhile (the
// next tile's, on the first pass over these), or null.
template <bool BF16, int NX, int NY>
void dot_h16_tile(int64_t n, const uint16_t* x, size_t ldx, const float* const* y, float* out, size_t ldo,
                  const uint16_t* ahead) {
    __m512 acc[NX][NY];
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++) acc[i][j] = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + 16 <= n; k += 16) {
        if (ahead && k % 32 == 0)
            for (int i = 0; i < NX; i++)
                _mm_prefetch(reinterpret_cast<const char*>(ahead + size_t(i) * ldx + k), _MM_HINT_T1);
        __m512 v[NX];
        for (int i = 0; i < NX; i++) v[i] = load_h16<BF16>(x + size_t(i) * ldx + k);
        for (int j = 0; j < NY; j++) {
            const __m512 p = _mm512_loadu_ps(y[j] + k);
            for (int i = 0; i < NX; i++) acc[i][j] = _mm512_fmadd_ps(v[i], p, acc[i][j]);
        }
    }
    for (int i = 0; i < NX; i++)
        for (int j = 0; j < NY; j++) {
            float s = _mm512_reduce_add_ps(acc[i][j]);
            for (int64_t t = k; t < n; t++) s += h16_to_f32<BF16>(x[size_t(i) * ldx + size_t(t)]) * y[j][t];
            out[size_t(j) * ldo + size_t(i)] = s;
        }
}
#include "backends/cpu/vec_h16_block.inl"

// Query rows four to a vector, four values of each: rows 4g..4g + 3, values 4c..4c + 3 at
// yq + (g * n / 4 + c) * 16, rows past ny zero. A key's four values, broadcast to the four 128-bit lanes, then
// meet four rows at once.
void interleave_row_quads(int64_t n, const float* y, size_t ldy, int ny, float* yq) {
    const int64_t nc = n / 4;
    for (int g = 0; g < (ny + 3) / 4; g++)
        for (int64_t c = 0; c < nc; c++)
            for (int r = 0; r < 4; r++) {
                const int j = 4 * g + r;
                const __m128 v = j < ny ? _mm_loadu_ps(y + size_t(j) * ldy + 4 * c) : _mm_setzero_ps();
                _mm_store_ps(yq + (size_t(g) * size_t(nc) + size_t(c)) * 16 + 4 * r, v);
            }
}

// The partial sums of eight keys in a[0..7], four per 128-bit lane, summed in two rounds of pairwise adds:
// lane L of c[0] then holds the sums of lane L for keys 0-3, and of c[1] for keys 4-7.
inline void lane_sums8(const __m512* a, __m512* c) {
    __m512 b[4];
    for (int i = 0; i < 4; i++)
        b[i] = _mm512_add_ps(_mm512_unpacklo_ps(a[2 * i], a[2 * i + 1]), _mm512_unpackhi_ps(a[2 * i], a[2 * i + 1]));
    for (int i = 0; i < 2; i++) {
        const __m512d x = _mm512_castps_pd(b[2 * i]), y = _mm512_castps_pd(b[2 * i + 1]);
        c[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(x, y)), _mm512_castpd_ps(_mm512_unpackhi_pd(x, y)));
    }
}

// a[i]'s 128-bit lane r holds four partial sums of row r's dot with key i; writes row r's eight sums to
// out + r * ldo for r < rows: lane r of c[0] and of c[1], side by side.
inline void store_quad_sums8(const __m512* a, float* out, size_t ldo, int rows) {
    __m512 c[2];
    lane_sums8(a, c);
    const __m512 t01 = _mm512_shuffle_f32x4(c[0], c[1], 0x44), t23 = _mm512_shuffle_f32x4(c[0], c[1], 0xEE);
    const __m512 r01 = _mm512_shuffle_f32x4(t01, t01, 0xD8), r23 = _mm512_shuffle_f32x4(t23, t23, 0xD8);
    const __m256 r[4] = {_mm512_castps512_ps256(r01), _mm512_extractf32x8_ps(r01, 1), _mm512_castps512_ps256(r23),
                         _mm512_extractf32x8_ps(r23, 1)};
    for (int j = 0; j < rows; j++) _mm256_storeu_ps(out + size_t(j) * ldo, r[j]);
}

// Two query rows to a vector, eight values of each: rows 2p and 2p + 1, values 8c..8c + 7 at
// yp + (p * n / 8 + c) * 16, a missing second row zero. A key's eight values, broadcast to both halves, then
// meet two rows at once.
void interleave_row_pairs(int64_t n, const float* y, size_t ldy, int ny, float* yp) {
    const int64_t nc = n / 8;
    for (int p = 0; 2 * p < ny; p++)
        for (int64_t c = 0; c < nc; c++)
            for (int r = 0; r < 2; r++) {
                const int j = 2 * p + r;
                const __m256 v = j < ny ? _mm256_loadu_ps(y + size_t(j) * ldy + 8 * c) : _mm256_setzero_ps();
                _mm256_store_ps(yp + (size_t(p) * size_t(nc) + size_t(c)) * 16 + 8 * r, v);
            }
}

// a[i]'s 256-bit halves hold eight partial sums of rows 0 and 1 with key i; writes each row's eight sums to
// out + r * ldo for r < rows. After lane_sums8, lanes 0 and 1 hold row 0's halves, lanes 2 and 3 row 1's;
// adding the lanes of a row finishes them.
inline void store_pair_sums8(const __m512* a, float* out, size_t ldo, int rows) {
    __m512 c[2];
    lane_sums8(a, c);
    // [row 0 keys 0-3, row 1 keys 0-3, row 0 keys 4-7, row 1 keys 4-7], then each row's two lanes together
    const __m512 s = _mm512_add_ps(_mm512_shuffle_f32x4(c[0], c[1], 0x88), _mm512_shuffle_f32x4(c[0], c[1], 0xDD));
    const __m512 r = _mm512_shuffle_f32x4(s, s, 0xD8);
    _mm256_storeu_ps(out, _mm512_castps512_ps256(r));
    if (rows > 1) _mm256_storeu_ps(out + ldo, _mm512_extractf32x8_ps(r, 1));
}

// NP pairs of query rows (interleaved by interleave_row_pairs) against sixteen converted keys, eight at a
// time: one broadcast load of a key's eight values serves NP multiply-adds. Rows [0, rows) of out.
template <int NP>
void dot_row_pairs16(int64_t n, const float* xf, int64_t ldxf, const float* yp, float* out, size_t ldo, int rows,
                     LinePrefetcher& pf) {
    const int64_t nc = n / 8;
    for (int h = 0; h < 16; h += 8) {
        const float* xh = xf + h * ldxf;
        __m512 a[NP][8];
        for (int p = 0; p < NP; p++)
            for (int i = 0; i < 8; i++) a[p][i] = _mm512_setzero_ps();
        for (int64_t c = 0; c < nc; c++) {
            __m512 q[NP];
            for (int p = 0; p < NP; p++) q[p] = _mm512_load_ps(yp + (size_t(p) * size_t(nc) + size_t(c)) * 16);
            pf.step();
            for (int i = 0; i < 8; i++) {
                const __m512 k = _mm512_broadcast_f32x8(_mm256_load_ps(xh + i * ldxf + 8 * c));
                for (int p = 0; p < NP; p++) a[p][i] = _mm512_fmadd_ps(k, q[p], a[p][i]);
            }
        }
        for (int p = 0; p < NP; p++) store_pair_sums8(a[p], out + size_t(2 * p) * ldo + size_t(h), ldo, std::min(2, rows - 2 * p));
    }
}

// The sums of sixteen vectors: lane j of the result is the sum of a[j]'s lanes.
inline __m512 sums16(const __m512* a) {
    __m512 c[4];
    lane_sums8(a, c);
    lane_sums8(a + 8, c + 2);
    // c[i]'s 128-bit lane L holds lane L's sums of a[4i..4i + 3]: add the lanes up, c[i]'s into lane i
    const __m512 u01 = _mm512_add_ps(_mm512_shuffle_f32x4(c[0], c[1], 0x44), _mm512_shuffle_f32x4(c[0], c[1], 0xEE));
    const __m512 u23 = _mm512_add_ps(_mm512_shuffle_f32x4(c[2], c[3], 0x44), _mm512_shuffle_f32x4(c[2], c[3], 0xEE));
    return _mm512_add_ps(_mm512_shuffle_f32x4(u01, u23, 0x88), _mm512_shuffle_f32x4(u01, u23, 0xDD));
}

// R (at most four) query rows of n values (a multiple of 16) against nx keys (a multiple of 4): each
// sixteen values of four keys are converted as they are loaded and meet the rows, held one vector at a
// time, in sixteen multiply-adds; the sixteen (row, key) sums are reduced together. With so few rows a
// key serves too few products for the converted-keys buffer of dot_rows16_kernel (its stores, and a
// broadcast load per two multiply-adds) to pay: Gemma 3's four rows of 256 measured markedly faster this
// way. Rows [0, R) of out.
template <bool F32, int R>
void dot_keys4(int64_t n, const char* x, size_t ldx, int64_t nx, const float* y, size_t ldy, float* out, size_t ldo,
               LinePrefetcher& pf) {
    for (int64_t i0 = 0; i0 < nx; i0 += 4, x += 4 * ldx) {
        __m512 a[16];  // a[4 * r + k]: row r against key k
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) a[j] = _mm512_setzero_ps();
        for (int64_t c = 0; c < n; c += 16) {
            __m512 kv[4];
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
                kv[k] = F32 ? _mm512_loadu_ps(reinterpret_cast<const float*>(x + k * ldx) + c)
                            : load_f16(reinterpret_cast<const uint16_t*>(x + k * ldx) + c);
            pf.step();
#pragma GCC unroll 4
            for (int r = 0; r < R; r++) {
                __m512 q = _mm512_loadu_ps(y + size_t(r) * ldy + c);
                // Left to itself GCC folds this load into each of the four multiply-adds: four loads where one
                // does, and the loads then set the pace.
                asm("" : "+v"(q));
#pragma GCC unroll 4
                for (int k = 0; k < 4; k++) a[4 * r + k] = _mm512_fmadd_ps(kv[k], q, a[4 * r + k]);
            }
        }
        const __m512 s = sums16(a);
        float* o = out + i0;
        _mm_storeu_ps(o, _mm512_castps512_ps128(s));
        if (R > 1) _mm_storeu_ps(o + ldo, _mm512_extractf32x4_ps(s, 1));
        if (R > 2) _mm_storeu_ps(o + 2 * ldo, _mm512_extractf32x4_ps(s, 2));
        if (R > 3) _mm_storeu_ps(o + 3 * ldo, _mm512_extractf32x4_ps(s, 3));
    }
}

// nx rows of type t (F16 or F32; nx a multiple of 16; ldx bytes apart; n a multiple of 16, at most 256)
// against ny f32 rows (ldy floats apart): out[j * ldo + i] = dot(x row i, y row j) (decode attention's scores:
// cached keys against a KV head's query rows). The query rows are interleaved four to a vector once per
// sixteen; each sixteen keys are converted (or copied) once into L1, and each key's values, broadcast, meet
// eight rows in two multiply-adds (four rows and four values to a vector), eight keys at a time. Up to four
// rows left over go two rows and eight values to a vector, again two multiply-adds per broadcast load: with
// one multiply-add per load the loads, not the multiply-adds, would set the pace. Four rows or fewer in all
// with heads of 128 or more (Gemma 3: four query heads per KV head, 256 values) take dot_keys4 instead.
// Summing several rows' partial sums together costs a fraction of a reduction per row and key block. The
// lines `ahead` are asked for a few at each turn of the multiply-add loops.
// The kernel is compiled for the usual head sizes apart, N and the type known (f16 keys, or f32: the
// quantized caches' rows converted): with the loop counts and the conversion fixed, the compiler's code for
// it is about a fifth faster.
template <bool F32, int N>
void dot_rows16_kernel(int64_t n_any, const void* x, size_t ldx, int64_t nx, const float* y, size_t ldy, int ny,
                       float* out, size_t ldo, const PrefetchRows& ahead) {
    const int64_t n = N ? N : n_any;
    if (ny <= 4 && n >= 128) {
        LinePrefetcher pf(ahead, nx / 4 * (n / 16));
        const char* xc = static_cast<const char*>(x);
        switch (ny) {
            case 1: dot_keys4<F32, 1>(n, xc, ldx, nx, y, ldy, out, ldo, pf); break;
            case 2: dot_keys4<F32, 2>(n, xc, ldx, nx, y, ldy, out, ldo, pf); break;
            case 3: dot_keys4<F32, 3>(n, xc, ldx, nx, y, ldy, out, ldo, pf); break;
            default: dot_keys4<F32, 4>(n, xc, ldx, nx, y, ldy, out, ldo, pf); break;
        }
        return pf.rest();
    }
    // The converted keys sit a fixed 256 floats apart, so that the sixteen rows' addresses are one register
    // plus constant offsets (with a stride of n they take sixteen registers, and the loop spills).
    constexpr int64_t kLd = 256;
    alignas(64) float xf[16 * kLd], yq[16 * 256], yp[4 * 256];
    const int64_t nv = n / 16, nc = n / 4;
    // groups of four rows: pairs of them by quads, an odd last one by pairs of rows
    auto split = [](int rows) {
        const int pairs = (rows + 3) / 4 / 2;
        return std::make_pair(pairs, rows - 8 * pairs);
    };
    int64_t turns = 0;  // of the multiply-add loops, per sixteen keys
    for (int j0 = 0; j0 < ny; j0 += 16) {
        const auto [pairs, left] = split(std::min(16, ny - j0));
        turns += 2 * (pairs * nc + (left > 0 ? nc / 2 : 0));
    }
    LinePrefetcher pf(ahead, turns * (nx / 16));
    for (int j0 = 0; j0 < ny; j0 += 16) {
        const int rows = std::min(16, ny - j0);
        const auto [pairs, left] = split(rows);
        const int first_left = 8 * pairs;
        if (pairs) interleave_row_quads(n, y + size_t(j0) * ldy, ldy, std::min(rows, first_left), yq);
        if (left > 0) interleave_row_pairs(n, y + size_t(j0 + first_left) * ldy, ldy, left, yp);
        for (int64_t i0 = 0; i0 < nx; i0 += 16) {
            const char* xb = static_cast<const char*>(x) + size_t(i0) * ldx;
            for (int i = 0; i < 16; i++) {
                const char* row = xb + size_t(i) * ldx;
                for (int64_t c = 0; c < nv; c++)
                    _mm512_store_ps(xf + i * kLd + 16 * c,
                                    F32 ? _mm512_loadu_ps(reinterpret_cast<const float*>(row) + 16 * c)
                                        : load_f16(reinterpret_cast<const uint16_t*>(row) + 16 * c));
            }
            for (int g = 0; g < 2 * pairs; g += 2) {
                const float* q0 = yq + size_t(g) * size_t(nc) * 16;
                const float* q1 = q0 + size_t(nc) * 16;
                for (int h = 0; h < 16; h += 8) {
                    const float* xh = xf + h * kLd;
                    __m512 a0[8], a1[8];
                    for (int i = 0; i < 8; i++) a0[i] = a1[i] = _mm512_setzero_ps();
                    for (int64_t c = 0; c < nc; c++) {
                        const __m512 p0 = _mm512_load_ps(q0 + c * 16), p1 = _mm512_load_ps(q1 + c * 16);
                        pf.step();
                        for (int i = 0; i < 8; i++) {
                            const __m512 k = _mm512_broadcast_f32x4(_mm_load_ps(xh + i * kLd + 4 * c));
                            a0[i] = _mm512_fmadd_ps(k, p0, a0[i]);
                            a1[i] = _mm512_fmadd_ps(k, p1, a1[i]);
                        }
                    }
                    float* o = out + size_t(j0 + 4 * g) * ldo + size_t(i0 + h);
                    store_quad_sums8(a0, o, ldo, 4);
                    store_quad_sums8(a1, o + 4 * ldo, ldo, std::min(4, rows - 4 * g - 4));
                }
            }
            float* o = out + size_t(j0 + first_left) * ldo + size_t(i0);
            if (left > 2) dot_row_pairs16<2>(n, xf, kLd, yp, o, ldo, left, pf);
            else if (left > 0) dot_row_pairs16<1>(n, xf, kLd, yp, o, ldo, left, pf);
        }
    }
    pf.rest();
}
void v_dot_rows16(Type t, int64_t n, const void* x, size_t ldx, int64_t nx, const float* y, size_t ldy, int ny,
                  float* out, size_t ldo, const PrefetchRows& ahead) {
    const auto sized = [&](auto f32) {
        constexpr bool F32 = decltype(f32)::value;
        switch (n) {
            case 64: return dot_rows16_kernel<F32, 64>(n, x, ldx, nx, y, ldy, ny, out, ldo, ahead);
            case 128: return dot_rows16_kernel<F32, 128>(n, x, ldx, nx, y, ldy, ny, out, ldo, ahead);
            case 256: return dot_rows16_kernel<F32, 256>(n, x, ldx, nx, y, ldy, ny, out, ldo, ahead);
            default: return dot_rows16_kernel<F32, 0>(n, x, ldx, nx, y, ldy, ny, out, ldo, ahead);
        }
    };
    if (t == Type::F32) sized(std::true_type{});
    else sized(std::false_type{});
}

// Rows of the quantized KV cache's block types as f32, each value d * (code - offset) [+ m] exactly as the
// reference dequantizers compute it (block_parts.h): sixteen codes widened to 32-bit lanes, offset,
// converted and scaled at once. The minimum is added to the rounded product, as the reference does: the
// product goes through an empty asm so that no compiler fuses the two into one multiply-add.
bool v_dequant(Type t, const void* x, float* y, int64_t n) {
    const BlockParts parts = block_parts(t);
    if (!parts.bytes) return false;
    const char* b = static_cast<const char*>(x);
    const __m512i offset = _mm512_set1_epi32(parts.offset), bit = _mm512_set1_epi32(16);
    for (int64_t i = 0; i < n; i += 32, b += parts.bytes, y += 32) {
        const __m512 d = _mm512_set1_ps(_cvtsh_ss(block_f16_bits(b, 0)));
        __m512i lo, hi;
        if (t == Type::Q8_0) {
            lo = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + parts.qs)));
            hi = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + parts.qs + 16)));
        } else {
            const __m512i q = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + parts.qs)));
            lo = _mm512_and_si512(q, _mm512_set1_epi32(0x0F));
            hi = _mm512_srli_epi32(q, 4);
            if (parts.qh >= 0) {
                uint32_t qh;
                std::memcpy(&qh, b + parts.qh, 4);
                lo = _mm512_mask_or_epi32(lo, __mmask16(qh & 0xFFFF), lo, bit);
                hi = _mm512_mask_or_epi32(hi, __mmask16(qh >> 16), hi, bit);
            }
            lo = _mm512_sub_epi32(lo, offset), hi = _mm512_sub_epi32(hi, offset);
        }
        __m512 vlo = _mm512_mul_ps(d, _mm512_cvtepi32_ps(lo)), vhi = _mm512_mul_ps(d, _mm512_cvtepi32_ps(hi));
        if (parts.m >= 0) {
            const __m512 m = _mm512_set1_ps(_cvtsh_ss(block_f16_bits(b, parts.m)));
            __asm__("" : "+v"(vlo), "+v"(vhi));
            vlo = _mm512_add_ps(vlo, m), vhi = _mm512_add_ps(vhi, m);
        }
        _mm512_storeu_ps(y, vlo);
        _mm512_storeu_ps(y + 16, vhi);
    }
    return true;
}

// NY accumulator rows kept in registers NV x 16 columns at a time while the nx value rows stream past:
// per value row and column block, NV loads (converted) and NY x NV multiply-adds, each reading its weight as a
// broadcast memory operand (written out: the compiler loads a weight used NV times into a register first,
// an extra broadcast per weight that the multiply-adds wait on). The block is as wide as the registers
// allow, so that each pass reads whole cache lines of every value row.
__attribute__((always_inline)) inline __m512 fmadd_broadcast(const float* w, __m512 v, __m512 a) {
    __asm__("vfmadd231ps %[w]%{1to16%}, %[v], %[a]" : [a] "+v"(a) : [v] "v"(v), [w] "m"(*w));
    return a;
}
template <int NY, int NV>
__attribute__((always_inline)) inline void mad_rows_ny(Type t, int64_t n, const char* x, size_t ldx, int64_t nx,
                                                       const float* w, float* acc, size_t lda, LinePrefetcher& pf) {
    for (int64_t d0 = 0; d0 < n; d0 += 16 * NV) {
        __mmask16 m[NV];
        for (int c = 0; c < NV; c++) {
            const int64_t left = n - d0 - 16 * c;
            m[c] = left >= 16 ? __mmask16(0xFFFF) : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1);
        }
        __m512 a[NY][NV];
        for (int j = 0; j < NY; j++)
            for (int c = 0; c < NV; c++) a[j][c] = _mm512_maskz_loadu_ps(m[c], acc + size_t(j) * lda + size_t(d0 + 16 * c));
        for (int64_t i = 0; i < nx; i++) {
            const char* row = x + size_t(i) * ldx;
            pf.step();
            __m512 v[NV];
            for (int c = 0; c < NV; c++) {
                const int64_t d = d0 + 16 * c;
                if (t == Type::F32) {
                    v[c] = _mm512_maskz_loadu_ps(m[c], reinterpret_cast<const float*>(row) + d);
                } else {
                    const __m256i h = _mm256_maskz_loadu_epi16(m[c], reinterpret_cast<const uint16_t*>(row) + d);
                    v[c] = t == Type::BF16 ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16))
                                           : _mm512_cvtph_ps(h);
                }
            }
            const float* wi = w + i * kMadRows;
            for (int j = 0; j < NY; j++)
                for (int c = 0; c < NV; c++) a[j][c] = fmadd_broadcast(wi + j, v[c], a[j][c]);
        }
        for (int j = 0; j < NY; j++)
            for (int c = 0; c < NV; c++) _mm512_mask_storeu_ps(acc + size_t(j) * lda + size_t(d0 + 16 * c), m[c], a[j][c]);
    }
}
constexpr int kMadLanes = 16, kMadNV = 4, kMadNVMany = 2;
#include "backends/cpu/vec_mad_rows.inl"

double v_sum_sq(int64_t n, const float* x) {
    __m512d a0 = _mm512_setzero_pd(), a1 = a0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        const __m512d l = _mm512_cvtps_pd(_mm512_castps512_ps256(v)), h = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1));
        a0 = _mm512_fmadd_pd(l, l, a0);
        a1 = _mm512_fmadd_pd(h, h, a1);
    }
    double s = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
    for (; i < n; i++) s += double(x[i]) * double(x[i]);
    return s;
}
double v_sum(int64_t n, const float* x) {
    __m512d a0 = _mm512_setzero_pd(), a1 = a0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        a0 = _mm512_add_pd(a0, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
        a1 = _mm512_add_pd(a1, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
    }
    double s = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
    for (; i < n; i++) s += double(x[i]);
    return s;
}
float v_max(int64_t n, const float* x) {
    float m = -std::numeric_limits<float>::infinity();
    int64_t i = 0;
    if (n >= 16) {
        __m512 vm = _mm512_loadu_ps(x);
        for (i = 16; i + 16 <= n; i += 16) vm = _mm512_max_ps(vm, _mm512_loadu_ps(x + i));
        m = _mm512_reduce_max_ps(vm);
    }
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
float v_exp_sum(int64_t n, float* z, const float* x, float m) {
    const __m512 vm = _mm512_set1_ps(m);
    __m512 acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm));
        _mm512_storeu_ps(z + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    float s = _mm512_reduce_add_ps(acc);
    for (; i < n; i++) {
        z[i] = exp1(x[i] - m);
        s += z[i];
    }
    return s;
}
void v_silu(int64_t n, float* z, const float* x) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(z + i, silu16(_mm512_loadu_ps(x + i)));
    for (; i < n; i++) z[i] = silu1(x[i]);
}
void v_swiglu(int64_t n, float* z, const float* g, const float* u) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(z + i, _mm512_mul_ps(silu16(_mm512_loadu_ps(g + i)), _mm512_loadu_ps(u + i)));
    for (; i < n; i++) z[i] = silu1(g[i]) * u[i];
}
// vcvtph2ps quiets signalling NaNs; clear the quiet bit again for those lanes to keep the payload exact.
void v_f16_to_f32(int64_t n, float* z, const uint16_t* x) {
    const __m512i exp_q = _mm512_set1_epi32(0x7e00), snan_exp = _mm512_set1_epi32(0x7c00);
    const __m512i payload = _mm512_set1_epi32(0x1ff), quiet32 = _mm512_set1_epi32(0x400000);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
        const __m512i w = _mm512_cvtepu16_epi32(h);
        const __mmask16 snan = _mm512_cmpeq_epi32_mask(_mm512_and_si512(w, exp_q), snan_exp) &
                               _mm512_cmpneq_epi32_mask(_mm512_and_si512(w, payload), _mm512_setzero_si512());
        const __m512i f = _mm512_castps_si512(_mm512_cvtph_ps(h));
        _mm512_storeu_ps(z + i, _mm512_castsi512_ps(_mm512_mask_andnot_epi32(f, snan, quiet32, f)));
    }
    for (; i < n; i++) z[i] = fp16_to_fp32(x[i]);
}
void v_f32_to_f16(int64_t n, uint16_t* z, const float* x) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(z + i),
                            _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++) z[i] = fp32_to_fp16(x[i]);
}
void v_bf16_to_f32(int64_t n, float* z, const uint16_t* x) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(z + i, load_bf16(x + i));
    for (; i < n; i++) z[i] = bf16_to_fp32(x[i]);
}
// Integer rounding as in fp32_to_bf16 (vcvtneps2bf16 flushes subnormal inputs, so it would not match).
void v_f32_to_bf16(int64_t n, uint16_t* z, const float* x) {
    const __m512i one = _mm512_set1_epi32(1), rnd = _mm512_set1_epi32(0x7fff);
    const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
    const __m512i quiet = _mm512_set1_epi32(64);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i v = _mm512_castps_si512(_mm512_loadu_ps(x + i));
        const __m512i top = _mm512_srli_epi32(v, 16);
        const __m512i r = _mm512_srli_epi32(_mm512_add_epi32(v, _mm512_add_epi32(rnd, _mm512_and_si512(top, one))), 16);
        const __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(v, abs_mask), inf);
        const __m512i out = _mm512_mask_blend_epi32(nan, r, _mm512_or_si512(top, quiet));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(z + i), _mm512_cvtepi32_epi16(out));
    }
    for (; i < n; i++) z[i] = fp32_to_bf16(x[i]);
}

// Four lines per step, one accumulator each, every line prefetched as the decode dots do.
uint64_t v_xor_lines(const void* p, size_t lines) {
    const char* c = static_cast<const char*>(p);
    __m512i acc[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
    for (size_t i = 0; i < lines; i++, c += 64) {
        _mm_prefetch(c + kPrefetchBytes, _MM_HINT_T0);
        acc[i % 4] = _mm512_xor_si512(acc[i % 4], _mm512_loadu_si512(c));
    }
    alignas(64) uint64_t w[8];
    _mm512_store_si512(w, _mm512_xor_si512(_mm512_xor_si512(acc[0], acc[1]), _mm512_xor_si512(acc[2], acc[3])));
    return w[0] ^ w[1] ^ w[2] ^ w[3] ^ w[4] ^ w[5] ^ w[6] ^ w[7];
}

}  // namespace

const VecTable& vec_table_avx512() {
    static const VecTable t = {v_add, v_sub, v_mul, v_div, v_scale, v_dot_f32, v_dot_f16, v_dot_bf16,
                               v_sum_sq, v_sum, v_max, v_exp_sum, v_silu, v_swiglu, v_f16_to_f32,
                               v_f32_to_f16, v_bf16_to_f32, v_f32_to_bf16, v_dot_block16, v_dot_rows16,
                               v_dequant, v_mad_rows, v_xor_lines};
    return t;
}

}  // namespace ggml::cpu
