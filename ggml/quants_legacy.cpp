// Legacy 32-element block formats: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1.
//
// Element order inside a 32-element block for the 4/5-bit formats: qs[j] holds element j in its low
// nibble and element j + 16 in its high nibble (j < 16). For Q5_x, the fifth bit of element i is bit i
// of qh read as a little-endian uint32 (that is, bit i % 8 of qh[i / 8]).
//
// Dequantization is evaluated exactly like gguf-py (float32 products, then one float32 add), so no
// multiply-add may be fused: contraction is switched off for this file.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <cmath>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ggml/quant_helpers.h"
#include "ggml/quants.h"

namespace ggml {

namespace {

using namespace quant_helpers;


// The multi-candidate kernels run the candidates in small batches so that their accumulators and
// constants stay in registers (and keep their element loops rolled: GCC's full unrolling of them
// spills).
constexpr int kBatch = 2;
#if defined(__GNUC__) && !defined(__clang__)
#define GIRAFFE_NO_UNROLL _Pragma("GCC unroll 1")
#else
#define GIRAFFE_NO_UNROLL
#endif

// Largest and smallest element of a 32-element block, and the sum (NaN elements are skipped unless
// the first vector holds them).
void block_stats(const float* x, float* vmin, float* vmax, float* sum) {
    f4 mx = ld4(x), mn = mx, sv = mx;
    for (int i = 4; i < 32; i += 4) {
        const f4 v = ld4(x + i);
        mx = vmax4(v, mx);
        mn = vmin4(v, mn);
        sv += v;
    }
    float hi = mx[0], lo = mn[0];
    for (int j = 1; j < 4; j++) {
        hi = mx[j] > hi ? mx[j] : hi;
        lo = mn[j] < lo ? mn[j] : lo;
    }
    *vmin = lo;
    *vmax = hi;
    *sum = hsum4(sv);
}

// ---- symmetric scale search: y = d * q, q in [qlo, qhi] ----------------------------------------------

// Sums of a block's codes L for the least-squares fits.
struct CodeSums {
    float sl, sll, sxl;  // sum L, sum L^2, sum x L
};

// For K scales d_k at once: the squared error of d_k * L with L the nearest clamped codes (evaluated
// as dequantization does), and the code sums for the least-squares scale of those codes. Candidates
// go through in batches of B (accumulators and constants in registers).
template <int B>
void sym_batch(const float* x, const float* d, float qlo, float qhi, float* err, CodeSums* cs) {
    const f4 lo = bc4(qlo), hi = bc4(qhi);
    f4 id[B], vd[B], e[B], b[B], c[B];
    for (int k = 0; k < B; k++) {
        id[k] = bc4(1.0f / d[k]);
        vd[k] = bc4(d[k]);
        e[k] = b[k] = c[k] = bc4(0.0f);
    }
    GIRAFFE_NO_UNROLL
    for (int i = 0; i < 32; i += 4) {
        const f4 xv = ld4(x + i);
        for (int k = 0; k < B; k++) {
            const f4 v = round4(clamp4(xv * id[k], lo, hi));
            const f4 r = xv - vd[k] * v;
            e[k] += r * r;
            b[k] += v * v;
            c[k] += xv * v;
        }
    }
    for (int k = 0; k < B; k++) {
        err[k] = hsum4(e[k]);
        cs[k].sl = 0.0f;
        cs[k].sll = hsum4(b[k]);
        cs[k].sxl = hsum4(c[k]);
    }
}
template <int K>
void sym_multi(const float* x, const float* d, float qlo, float qhi, float* err, CodeSums* cs) {
    int k = 0;
    for (; k + kBatch <= K; k += kBatch) sym_batch<kBatch>(x, d + k, qlo, qhi, err + k, cs + k);
    for (; k < K; k++) sym_batch<1>(x, d + k, qlo, qhi, err + k, cs + k);
}

// The codes for scale d (d != 0).
void sym_codes(const float* x, float d, float qlo, float qhi, float* L) {
    const f4 id = bc4(1.0f / d), lo = bc4(qlo), hi = bc4(qhi);
    for (int i = 0; i < 32; i += 4) st4(L + i, round4(clamp4(ld4(x + i) * id, lo, hi)));
}

// Scale search for one 32-element block: K starting scales d = vmax / t_k (vmax: the largest-magnitude
// element, with its sign; f16-rounded), all scored at once with their nearest codes; then optionally
// one least-squares refit of every start for its codes (again all at once), then refits of the best
// scale while they help. The plain choice (max-abs element onto the end of the code range) is the
// first start, so the result is never worse than it. Returns d (f16-representable) and the codes.
template <int K>
float quant_sym(const float* x, float qlo, float qhi, const float (&ts)[K], bool start_refit, int refits,
                float* L) {
    float lo, hi, sx;
    block_stats(x, &lo, &hi, &sx);
    // (a symmetric code range takes the magnitude, so that d stays positive)
    const float vmax = qlo == -qhi ? (-lo > hi ? -lo : hi) : (-lo > hi ? lo : hi);
    for (int i = 0; i < 32; i++) L[i] = 0.0f;
    if (!(std::fabs(vmax) > 0.0f)) return 0.0f;  // all zeros (or NaN)
    float best = INFINITY, bestd = 0.0f;
    CodeSums bc{0.0f, 0.0f, 0.0f};
    auto take = [&](float e, float d, const CodeSums& c) {
        if (!(e < best) || d == 0.0f || !std::isfinite(d)) return false;
        best = e;
        bestd = d;
        bc = c;
        return true;
    };
    float d[K], err[K];
    CodeSums cs[K];
    for (int k = 0; k < K; k++) d[k] = half_round(vmax / ts[k]);
    sym_multi<K>(x, d, qlo, qhi, err, cs);
    for (int k = 0; k < K; k++) take(err[k], d[k], cs[k]);
    if (start_refit) {
        for (int k = 0; k < K; k++)
            if (cs[k].sll > 0.0f) d[k] = half_round(cs[k].sxl / cs[k].sll);
        sym_multi<K>(x, d, qlo, qhi, err, cs);
        for (int k = 0; k < K; k++) take(err[k], d[k], cs[k]);
    }
    for (int it = 0; it < refits && bc.sll > 0.0f; it++) {
        const float d1 = half_round(bc.sxl / bc.sll);
        if (d1 == bestd) break;
        float e1;
        CodeSums c1;
        sym_multi<1>(x, &d1, qlo, qhi, &e1, &c1);
        if (!take(e1, d1, c1)) break;
    }
    if (bestd == 0.0f) return 0.0f;
    sym_codes(x, bestd, qlo, qhi, L);
    return bestd;
}

// ---- asymmetric search: y = d * q + m, q in [0, qmax] -------------------------------------------------

// For K pairs (d_k, m_k) at once (in batches of B): squared errors of the nearest clamped codes
// (evaluated as dequantization does: p = d * L, then p + m) and their code sums.
template <int B>
void asym_batch(const float* x, const float* d, const float* m, float qmax, float* err, CodeSums* cs) {
    const f4 lo = bc4(0.0f), hi = bc4(qmax);
    f4 id[B], vd[B], vm[B], e[B], a[B], b[B], c[B];
    for (int k = 0; k < B; k++) {
        id[k] = bc4(1.0f / d[k]);
        vd[k] = bc4(d[k]);
        vm[k] = bc4(m[k]);
        e[k] = a[k] = b[k] = c[k] = lo;
    }
    GIRAFFE_NO_UNROLL
    for (int i = 0; i < 32; i += 4) {
        const f4 xv = ld4(x + i);
        for (int k = 0; k < B; k++) {
            const f4 v = round4(clamp4((xv - vm[k]) * id[k], lo, hi));
            const f4 p = vd[k] * v;
            const f4 r = xv - (p + vm[k]);
            e[k] += r * r;
            a[k] += v;
            b[k] += v * v;
            c[k] += xv * v;
        }
    }
    for (int k = 0; k < B; k++) {
        err[k] = hsum4(e[k]);
        cs[k].sl = hsum4(a[k]);
        cs[k].sll = hsum4(b[k]);
        cs[k].sxl = hsum4(c[k]);
    }
}
template <int K>
void asym_multi(const float* x, const float* d, const float* m, float qmax, float* err, CodeSums* cs) {
    int k = 0;
    for (; k + kBatch <= K; k += kBatch) asym_batch<kBatch>(x, d + k, m + k, qmax, err + k, cs + k);
    for (; k < K; k++) asym_batch<1>(x, d + k, m + k, qmax, err + k, cs + k);
}

// Least-squares (d, m) for codes with the given sums, f16-rounded (integer sums of codes are exact in
// float: |sl| < 2^10, 32 * sll < 2^20).
bool asym_refit(float sx, const CodeSums& c, float* d, float* m) {
    const float det = 32.0f * c.sll - c.sl * c.sl;
    if (!(det > 0.0f)) return false;
    const float dd = (32.0f * c.sxl - sx * c.sl) / det;
    *d = half_round(dd);
    *m = half_round((sx - dd * c.sl) / 32.0f);
    return true;
}

// Starts d = (max - min) / t_k, m = min (f16-rounded), scored at once; optionally one least-squares
// refit of (d, m) for every start's codes, then refits of the best pair while they help. The plain
// min/max choice is the first start.
template <int K>
void quant_asym(const float* x, float qmax, const float (&ts)[K], bool start_refit, int refits, float* d_out,
                float* m_out, float* L) {
    float vmin, vmax, sx;
    block_stats(x, &vmin, &vmax, &sx);
    for (int i = 0; i < 32; i++) L[i] = 0.0f;
    *d_out = 0.0f;
    *m_out = std::isfinite(vmin) ? half_round(vmin) : 0.0f;
    if (!(vmax > vmin)) return;
    float best = INFINITY;
    CodeSums bc{0.0f, 0.0f, 0.0f};
    auto take = [&](float e, float d, float m, const CodeSums& c) {
        if (!(e < best) || !(d > 0.0f) || !std::isfinite(d) || !std::isfinite(m)) return false;
        best = e;
        *d_out = d;
        *m_out = m;
        bc = c;
        return true;
    };
    const float range = vmax - vmin, m0 = half_round(vmin);
    float d[K], m[K], err[K];
    CodeSums cs[K];
    for (int k = 0; k < K; k++) {
        d[k] = half_round(range / ts[k]);
        m[k] = m0;
    }
    asym_multi<K>(x, d, m, qmax, err, cs);
    for (int k = 0; k < K; k++) take(err[k], d[k], m[k], cs[k]);
    if (start_refit) {
        for (int k = 0; k < K; k++) asym_refit(sx, cs[k], &d[k], &m[k]);
        asym_multi<K>(x, d, m, qmax, err, cs);
        for (int k = 0; k < K; k++) take(err[k], d[k], m[k], cs[k]);
    }
    for (int it = 0; it < refits && best < INFINITY; it++) {
        float d1, m1, e1;
        CodeSums c1;
        if (!asym_refit(sx, bc, &d1, &m1) || (d1 == *d_out && m1 == *m_out)) break;
        asym_multi<1>(x, &d1, &m1, qmax, &e1, &c1);
        if (!take(e1, d1, m1, c1)) break;
    }
    if (!(best < INFINITY)) {
        *d_out = 0.0f;
        return;
    }
    const f4 id = bc4(1.0f / *d_out), vm = bc4(*m_out), lo = bc4(0.0f), hi = bc4(qmax);
    for (int i = 0; i < 32; i += 4) st4(L + i, round4(clamp4((ld4(x + i) - vm) * id, lo, hi)));
}

template <typename T>
T* as_blocks(void* p) { return static_cast<T*>(p); }
template <typename T>
const T* as_blocks(const void* p) { return static_cast<const T*>(p); }

}  // namespace

// ---- dequantization ---------------------------------------------------------------------------------

void dequantize_row_q4_0(const void* blocks, float* y, int64_t n) {
    const block_q4_0* b = as_blocks<block_q4_0>(blocks);
    for (int64_t ib = 0; ib < n / QK4_0; ib++, y += QK4_0) {
        const float d = fp16_to_fp32(b[ib].d);
        for (int j = 0; j < 16; j++) {
            y[j] = d * float(int(b[ib].qs[j] & 0x0F) - 8);
            y[j + 16] = d * float(int(b[ib].qs[j] >> 4) - 8);
        }
    }
}

void dequantize_row_q4_1(const void* blocks, float* y, int64_t n) {
    const block_q4_1* b = as_blocks<block_q4_1>(blocks);
    for (int64_t ib = 0; ib < n / QK4_1; ib++, y += QK4_1) {
        const float d = fp16_to_fp32(b[ib].d), m = fp16_to_fp32(b[ib].m);
        for (int j = 0; j < 16; j++) {
            const float lo = d * float(b[ib].qs[j] & 0x0F);
            const float hi = d * float(b[ib].qs[j] >> 4);
            y[j] = lo + m;
            y[j + 16] = hi + m;
        }
    }
}

namespace {
// The 5-bit code of element i of a Q5 block.
inline int q5_code(const uint8_t* qs, const uint8_t* qh, int i) {
    const int nib = i < 16 ? (qs[i] & 0x0F) : (qs[i - 16] >> 4);
    return nib | (((qh[i >> 3] >> (i & 7)) & 1) << 4);
}
}  // namespace

void dequantize_row_q5_0(const void* blocks, float* y, int64_t n) {
    const block_q5_0* b = as_blocks<block_q5_0>(blocks);
    for (int64_t ib = 0; ib < n / QK5_0; ib++, y += QK5_0) {
        const float d = fp16_to_fp32(b[ib].d);
        for (int i = 0; i < 32; i++) y[i] = d * float(q5_code(b[ib].qs, b[ib].qh, i) - 16);
    }
}

void dequantize_row_q5_1(const void* blocks, float* y, int64_t n) {
    const block_q5_1* b = as_blocks<block_q5_1>(blocks);
    for (int64_t ib = 0; ib < n / QK5_1; ib++, y += QK5_1) {
        const float d = fp16_to_fp32(b[ib].d), m = fp16_to_fp32(b[ib].m);
        for (int i = 0; i < 32; i++) {
            const float p = d * float(q5_code(b[ib].qs, b[ib].qh, i));
            y[i] = p + m;
        }
    }
}

void dequantize_row_q8_0(const void* blocks, float* y, int64_t n) {
    const block_q8_0* b = as_blocks<block_q8_0>(blocks);
    for (int64_t ib = 0; ib < n / QK8_0; ib++, y += QK8_0) {
        const float d = fp16_to_fp32(b[ib].d);
        for (int i = 0; i < 32; i++) y[i] = float(b[ib].qs[i]) * d;
    }
}

void dequantize_row_q8_1(const void* blocks, float* y, int64_t n) {
    const block_q8_1* b = as_blocks<block_q8_1>(blocks);
    for (int64_t ib = 0; ib < n / QK8_1; ib++, y += QK8_1) {
        const float d = fp16_to_fp32(b[ib].d);
        for (int i = 0; i < 32; i++) y[i] = float(b[ib].qs[i]) * d;
    }
}

// ---- quantization -----------------------------------------------------------------------------------

namespace {
// Search settings (starting points t, see quant_sym / quant_asym). Symmetric 4/5-bit: the
// largest-magnitude element onto the wider negative end of the range or a little inside or beyond it,
// or onto qhi. Q8_0: max-abs onto 127 or a little inside it (smaller scales). With offset: the range
// onto qmax code steps or a little fewer.
constexpr float kTs_q4_0[] = {-8.0f, -7.25f, -7.375f, -7.5f, -7.625f, -7.75f, -7.875f, -8.125f, -8.25f, 7.0f};
constexpr float kTs_q5_0[] = {-16.0f,  -14.5f,  -14.75f, -15.0f,  -15.25f,
                              -15.5f,  -15.75f, -16.25f, -16.5f,  15.0f};
constexpr float kTs_q8_0[] = {127.0f, 125.0f, 123.0f, 121.0f};
constexpr float kTs_q4_1[] = {15.0f, 14.0625f, 14.25f, 14.4375f, 14.625f, 14.8125f, 15.1875f};
constexpr float kTs_q5_1[] = {31.0f, 29.0625f, 29.4375f, 29.8125f, 30.1875f, 30.5625f, 31.375f};

void pack_nibbles(const int* q, uint8_t* qs) {
    for (int j = 0; j < 16; j++) qs[j] = uint8_t((q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4));
}
void pack_high_bits(const int* q, uint8_t* qh) {
    uint32_t h = 0;
    for (int i = 0; i < 32; i++) h |= uint32_t((q[i] >> 4) & 1) << i;
    for (int j = 0; j < 4; j++) qh[j] = uint8_t(h >> (8 * j));
}
// Codes as stored: float code + offset (the codes are exact small integers in range).
void codes_to_int(const float* L, int offset, int* q) {
    for (int i = 0; i < 32; i++) q[i] = int(L[i]) + offset;
}
}  // namespace

void quantize_row_q4_0(const float* x, void* blocks, int64_t n) {
    block_q4_0* b = as_blocks<block_q4_0>(blocks);
        float L[32];
    int q[32];
    for (int64_t ib = 0; ib < n / QK4_0; ib++, x += QK4_0) {
        const float d = quant_sym(x, -8.0f, 7.0f, kTs_q4_0, /*start_refit=*/false, /*refits=*/2, L);
        codes_to_int(L, 8, q);
        b[ib].d = fp32_to_fp16(d);
        pack_nibbles(q, b[ib].qs);
    }
}

void quantize_row_q5_0(const float* x, void* blocks, int64_t n) {
    block_q5_0* b = as_blocks<block_q5_0>(blocks);
        float L[32];
    int q[32];
    for (int64_t ib = 0; ib < n / QK5_0; ib++, x += QK5_0) {
        const float d = quant_sym(x, -16.0f, 15.0f, kTs_q5_0, /*start_refit=*/false, /*refits=*/2, L);
        codes_to_int(L, 16, q);
        b[ib].d = fp32_to_fp16(d);
        pack_nibbles(q, b[ib].qs);
        pack_high_bits(q, b[ib].qh);
    }
}

void quantize_row_q4_1(const float* x, void* blocks, int64_t n) {
    block_q4_1* b = as_blocks<block_q4_1>(blocks);
        float L[32], d, m;
    int q[32];
    for (int64_t ib = 0; ib < n / QK4_1; ib++, x += QK4_1) {
        quant_asym(x, 15.0f, kTs_q4_1, /*start_refit=*/false, /*refits=*/3, &d, &m, L);
        codes_to_int(L, 0, q);
        b[ib].d = fp32_to_fp16(d);
        b[ib].m = fp32_to_fp16(m);
        pack_nibbles(q, b[ib].qs);
    }
}

void quantize_row_q5_1(const float* x, void* blocks, int64_t n) {
    block_q5_1* b = as_blocks<block_q5_1>(blocks);
        float L[32], d, m;
    int q[32];
    for (int64_t ib = 0; ib < n / QK5_1; ib++, x += QK5_1) {
        quant_asym(x, 31.0f, kTs_q5_1, /*start_refit=*/false, /*refits=*/3, &d, &m, L);
        codes_to_int(L, 0, q);
        b[ib].d = fp32_to_fp16(d);
        b[ib].m = fp32_to_fp16(m);
        pack_nibbles(q, b[ib].qs);
        pack_high_bits(q, b[ib].qh);
    }
}

void quantize_row_q8_0(const float* x, void* blocks, int64_t n) {
    // codes restricted to [-127, 127] (symmetric; -128 would break sign-based SIMD dot products)
    block_q8_0* b = as_blocks<block_q8_0>(blocks);
        float L[32];
    for (int64_t ib = 0; ib < n / QK8_0; ib++, x += QK8_0) {
        const float d = quant_sym(x, -127.0f, 127.0f, kTs_q8_0, /*start_refit=*/false, /*refits=*/1, L);
        b[ib].d = fp32_to_fp16(d);
        for (int i = 0; i < 32; i++) b[ib].qs[i] = int8_t(L[i]);
    }
}

void quantize_row_q8_1(const float* x, void* blocks, int64_t n) {
    block_q8_1* b = as_blocks<block_q8_1>(blocks);
    for (int64_t ib = 0; ib < n / QK8_1; ib++, x += QK8_1) {
        float amax = 0.0f;
        for (int i = 0; i < 32; i++) {
            const float a = std::fabs(x[i]);
            amax = a > amax ? a : amax;  // NaN is skipped
        }
        const float d = half_round(amax / 127.0f);
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const f4 vid = bc4(id), lo = bc4(-127.0f), hi = bc4(127.0f);
        f4 sum = bc4(0.0f);
        for (int i = 0; i < 32; i += 4) {
            const f4 v = round4(clamp4(ld4(x + i) * vid, lo, hi));
            sum += v;
            for (int j = 0; j < 4; j++) b[ib].qs[i + j] = int8_t(v[j]);
        }
        b[ib].d = fp32_to_fp16(d);
        b[ib].s = to_half_sat(d * hsum4(sum));
    }
}

}  // namespace ggml
