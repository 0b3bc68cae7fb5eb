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

#include "ggml/quants.h"

namespace ggml {

namespace {

constexpr float kHalfMax = 65504.0f;

// f32 -> f16 bits, saturating at the largest finite half so a finite input never stores an infinity.
uint16_t to_half_sat(float v) {
    if (v > kHalfMax) v = kHalfMax;
    if (v < -kHalfMax) v = -kHalfMax;
    return fp32_to_fp16(v);
}

// The f16-representable value nearest to v (saturated), as a float. Normal halves are rounded in place
// (round to nearest even on the 13 dropped mantissa bits); subnormals, huge values and NaN take the
// exact conversion.
inline float half_round(float v) {
    const float a = std::fabs(v);
    if (a >= 6.103515625e-05f && a < kHalfMax) {
        uint32_t u;
        std::memcpy(&u, &v, 4);
        u += 0x0FFFu + ((u >> 13) & 1u);
        u &= ~0x1FFFu;
        float r;
        std::memcpy(&r, &u, 4);
        return r;
    }
    return fp16_to_fp32(to_half_sat(v));
}

// The evaluation kernels run on 4-float vectors (GCC/Clang generic vector extension: SSE2 on x86-64,
// NEON on ARM, wider where the target allows), without branches or library calls. Codes are kept as
// floats (exact small integers).
typedef float f4 __attribute__((vector_size(16)));
inline f4 ld4(const float* p) {
    f4 v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}
inline void st4(float* p, f4 v) { std::memcpy(p, &v, sizeof(v)); }
inline f4 bc4(float a) { return f4{a, a, a, a}; }
// Clamp to [lo, hi]; a NaN becomes lo.
inline f4 clamp4(f4 v, f4 lo, f4 hi) {
    v = v > lo ? v : lo;
    return v < hi ? v : hi;
}
// Nearest integer (ties to even) of values already clamped to a small range (|v| < 2^22): adding and
// removing 1.5 * 2^23 leaves the rounded value (FP contraction and reassociation are off here).
inline f4 round4(f4 v) {
    const f4 magic = bc4(12582912.0f);
    return (v + magic) - magic;
}
inline float hsum4(f4 v) { return (v[0] + v[2]) + (v[1] + v[3]); }

// ---- symmetric scale search: y = d * q, q in [qlo, qhi] ----------------------------------------------
//
// For scale d: nearest clamped codes L, the squared error of d * L (exactly as dequantized), and the
// sums for the least-squares scale of those codes (sum x L, sum L^2).
float sym_pass(const float* x, float d, float qlo, float qhi, float* L, float* sxl, float* sll) {
    const f4 id = bc4(1.0f / d), vd = bc4(d), lo = bc4(qlo), hi = bc4(qhi);
    f4 e = bc4(0.0f), a = e, b = e;
    for (int i = 0; i < 32; i += 4) {
        const f4 xv = ld4(x + i);
        const f4 v = round4(clamp4(xv * id, lo, hi));
        st4(L + i, v);
        const f4 r = xv - vd * v;
        e += r * r;
        a += xv * v;
        b += v * v;
    }
    *sxl = hsum4(a);
    *sll = hsum4(b);
    return hsum4(e);
}

// Scale search for one 32-element block. Each starting scale (f16-rounded) is scored with its nearest
// codes, then refitted by least squares for those codes (f16-rounded again) up to `refits` times while
// that changes it; the best-scoring (d, codes) wins. The plain choice (max-abs element onto the end of
// the code range) is the first start, so the result is never worse than it. Starts are d = vmax / t
// for t in ts (vmax: the largest-magnitude element, with its sign).
struct SymSearch {
    float qlo, qhi;
    const float* ts;
    int nts, refits;
};

float quant_sym(const float* x, const SymSearch& s, float* Lout) {
    // largest-magnitude element with its sign (NaN is skipped)
    f4 mx = ld4(x), mn = mx;
    for (int i = 4; i < 32; i += 4) {
        const f4 v = ld4(x + i);
        mx = v > mx ? v : mx;
        mn = v < mn ? v : mn;
    }
    float hi = mx[0], lo = mn[0];
    for (int j = 1; j < 4; j++) {
        hi = mx[j] > hi ? mx[j] : hi;
        lo = mn[j] < lo ? mn[j] : lo;
    }
    const float vmax = -lo > hi ? lo : hi, amax = std::fabs(vmax);
    for (int i = 0; i < 32; i++) Lout[i] = 0.0f;
    if (!(amax > 0.0f)) return 0.0f;  // all zeros (or NaN)
    float buf[2][32];
    int cur = 0;
    float best = INFINITY, bestd = 0.0f;
    const float* bestL = nullptr;
    float bsxl = 0.0f, bsll = 0.0f;
    auto eval = [&](float d) {
        if (d == 0.0f || !std::isfinite(d)) return false;
        float sxl, sll;
        const float err = sym_pass(x, d, s.qlo, s.qhi, buf[cur], &sxl, &sll);
        if (!(err < best)) return false;
        best = err;
        bestd = d;
        bestL = buf[cur];
        bsxl = sxl;
        bsll = sll;
        cur ^= 1;
        return true;
    };
    for (int k = 0; k < s.nts; k++) eval(half_round(vmax / s.ts[k]));
    // least-squares refits of the best scale for its codes, while they help
    for (int it = 0; it < s.refits && bestL && bsll > 0.0f; it++) {
        const float d2 = half_round(bsxl / bsll);
        if (d2 == bestd || !eval(d2)) break;
    }
    if (!bestL) return 0.0f;
    std::memcpy(Lout, bestL, sizeof(float) * 32);
    return bestd;
}

// ---- asymmetric search: y = d * q + m, q in [0, qmax] -------------------------------------------------
float asym_pass(const float* x, float d, float m, float qmax, float* L, float* sl, float* sll, float* sxl) {
    const f4 id = bc4(1.0f / d), vd = bc4(d), vm = bc4(m), lo = bc4(0.0f), hi = bc4(qmax);
    f4 e = lo, a = lo, b = lo, c = lo;
    for (int i = 0; i < 32; i += 4) {
        const f4 xv = ld4(x + i);
        const f4 v = round4(clamp4((xv - vm) * id, lo, hi));
        st4(L + i, v);
        const f4 p = vd * v;
        const f4 r = xv - (p + vm);
        e += r * r;
        a += v;
        b += v * v;
        c += xv * v;
    }
    *sl = hsum4(a);
    *sll = hsum4(b);
    *sxl = hsum4(c);
    return hsum4(e);
}

// Starts d = (max - min) / t, m = min for t in ts, each followed by up to `refits` least-squares refits
// of (d, m) for its codes (f16-rounded). The plain min/max choice is the first start.
struct AsymSearch {
    float qmax;
    const float* ts;
    int nts, refits;
    bool start_refit;  // one refit right after each start
};

void quant_asym(const float* x, const AsymSearch& s, float* d_out, float* m_out, float* Lout) {
    f4 mx = ld4(x), mn = mx, sv = mx;
    for (int i = 4; i < 32; i += 4) {
        const f4 v = ld4(x + i);
        mx = v > mx ? v : mx;
        mn = v < mn ? v : mn;
        sv += v;
    }
    float vmax = mx[0], vmin = mn[0];
    for (int j = 1; j < 4; j++) {
        vmax = mx[j] > vmax ? mx[j] : vmax;
        vmin = mn[j] < vmin ? mn[j] : vmin;
    }
    const float sx = hsum4(sv);
    for (int i = 0; i < 32; i++) Lout[i] = 0.0f;
    *d_out = 0.0f;
    *m_out = std::isfinite(vmin) ? half_round(vmin) : 0.0f;
    if (!(vmax > vmin)) return;
    float buf[2][32];
    int cur = 0;
    float best = INFINITY;
    const float* bestL = nullptr;
    const float range = vmax - vmin;
    float bsl = 0.0f, bsll = 0.0f, bsxl = 0.0f;
    // scores (d, m); returns false when it is not usable. On return sl/sll/sxl hold its code sums.
    auto eval = [&](float d, float m, float* sl, float* sll, float* sxl) {
        if (!(d > 0.0f) || !std::isfinite(d) || !std::isfinite(m)) return false;
        const float err = asym_pass(x, d, m, s.qmax, buf[cur], sl, sll, sxl);
        if (err < best) {
            best = err;
            *d_out = d;
            *m_out = m;
            bestL = buf[cur];
            bsl = *sl;
            bsll = *sll;
            bsxl = *sxl;
            cur ^= 1;
        }
        return true;
    };
    // least-squares (d, m) for codes with the given sums (integer sums of codes are exact in float:
    // |sl| < 2^10, 32 * sll < 2^20)
    auto refit = [&](float sl, float sll, float sxl, float* d2, float* m2) {
        const float det = 32.0f * sll - sl * sl;
        if (!(det > 0.0f)) return false;
        const float dd = (32.0f * sxl - sx * sl) / det;
        *d2 = half_round(dd);
        *m2 = half_round((sx - dd * sl) / 32.0f);
        return true;
    };
    const float m0 = half_round(vmin);
    for (int k = 0; k < s.nts; k++) {
        const float d = half_round(range / s.ts[k]);
        float sl, sll, sxl, d2, m2;
        if (!eval(d, m0, &sl, &sll, &sxl)) continue;
        if (s.start_refit && refit(sl, sll, sxl, &d2, &m2) && (d2 != d || m2 != m0))
            eval(d2, m2, &sl, &sll, &sxl);
    }
    // further refits of the best (d, m) for its codes, while they help
    for (int it = 0; it < s.refits && bestL; it++) {
        const float prev = best;
        float d2, m2, sl, sll, sxl;
        if (!refit(bsl, bsll, bsxl, &d2, &m2) || (d2 == *d_out && m2 == *m_out)) break;
        if (!eval(d2, m2, &sl, &sll, &sxl) || !(best < prev)) break;
    }
    if (bestL) std::memcpy(Lout, bestL, sizeof(float) * 32);
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
// Search settings. Symmetric 4/5-bit: the largest-magnitude element maps near the wider (negative) end
// of the range (t slightly below and at |qlo|), or to qhi. Q8_0: max-abs onto 127 and a little beyond.
constexpr float kTs_q4_0[] = {-8.0f, -7.25f, -7.375f, -7.5f, -7.625f, -7.75f, -7.875f, -8.125f, -8.25f, 7.0f};
constexpr float kTs_q5_0[] = {-16.0f, -14.5f, -14.75f, -15.0f, -15.25f, -15.5f, -15.75f, -16.25f, -16.5f, 15.0f};
constexpr float kTs_q8_0[] = {127.0f, 123.0f, 125.0f};
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
    const SymSearch s{-8.0f, 7.0f, kTs_q4_0, int(sizeof(kTs_q4_0) / sizeof(float)), 2};
    float L[32];
    int q[32];
    for (int64_t ib = 0; ib < n / QK4_0; ib++, x += QK4_0) {
        const float d = quant_sym(x, s, L);
        codes_to_int(L, 8, q);
        b[ib].d = fp32_to_fp16(d);
        pack_nibbles(q, b[ib].qs);
    }
}

void quantize_row_q5_0(const float* x, void* blocks, int64_t n) {
    block_q5_0* b = as_blocks<block_q5_0>(blocks);
    const SymSearch s{-16.0f, 15.0f, kTs_q5_0, int(sizeof(kTs_q5_0) / sizeof(float)), 2};
    float L[32];
    int q[32];
    for (int64_t ib = 0; ib < n / QK5_0; ib++, x += QK5_0) {
        const float d = quant_sym(x, s, L);
        codes_to_int(L, 16, q);
        b[ib].d = fp32_to_fp16(d);
        pack_nibbles(q, b[ib].qs);
        pack_high_bits(q, b[ib].qh);
    }
}

void quantize_row_q4_1(const float* x, void* blocks, int64_t n) {
    block_q4_1* b = as_blocks<block_q4_1>(blocks);
    const AsymSearch s{15.0f, kTs_q4_1, int(sizeof(kTs_q4_1) / sizeof(float)), 3, false};
    float L[32], d, m;
    int q[32];
    for (int64_t ib = 0; ib < n / QK4_1; ib++, x += QK4_1) {
        quant_asym(x, s, &d, &m, L);
        codes_to_int(L, 0, q);
        b[ib].d = fp32_to_fp16(d);
        b[ib].m = fp32_to_fp16(m);
        pack_nibbles(q, b[ib].qs);
    }
}

void quantize_row_q5_1(const float* x, void* blocks, int64_t n) {
    block_q5_1* b = as_blocks<block_q5_1>(blocks);
    const AsymSearch s{31.0f, kTs_q5_1, int(sizeof(kTs_q5_1) / sizeof(float)), 3, false};
    float L[32], d, m;
    int q[32];
    for (int64_t ib = 0; ib < n / QK5_1; ib++, x += QK5_1) {
        quant_asym(x, s, &d, &m, L);
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
    const SymSearch s{-127.0f, 127.0f, kTs_q8_0, int(sizeof(kTs_q8_0) / sizeof(float)), 1};
    float L[32];
    for (int64_t ib = 0; ib < n / QK8_0; ib++, x += QK8_0) {
        const float d = quant_sym(x, s, L);
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
