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
float half_round(float v) { return fp16_to_fp32(to_half_sat(v)); }

int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Nearest integer (ties away from zero), clamped; safe for any finite or infinite float.
int round_clamp(float v, int lo, int hi) {
    if (!(v > float(lo))) return lo;  // also catches NaN
    if (v >= float(hi)) return hi;
    return clampi(int(std::lround(v)), lo, hi);
}

// ---- symmetric scale search: y = d * q, q in [qlo, qhi] ----------------------------------------------
//
// Tries scales d = max / t for a grid of t (t < 0: the largest-magnitude element maps to the negative
// end, which is the wider one for the 4/5-bit formats), each followed by one least-squares refit of d
// for the codes it produced. Every candidate is scored with its f16-rounded d and the per-element
// optimal (nearest, clamped) codes for that d, so the best candidate is never worse than the plain
// "d = max / qlo" (or "d = amax / qhi") choice, which is in the grid.
struct SymResult {
    float d;  // f16-representable
    int q[32];
};

float sym_error(const float* x, int n, float d, int qlo, int qhi, int* q) {
    float err = 0.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int i = 0; i < n; i++) {
        q[i] = d != 0.0f ? round_clamp(x[i] * id, qlo, qhi) : 0;
        const float e = x[i] - d * float(q[i]);
        err += e * e;
    }
    return err;
}

void quant_sym(const float* x, int n, int qlo, int qhi, bool neg_end, SymResult* r) {
    float amax = 0.0f, vmax = 0.0f;
    for (int i = 0; i < n; i++) {
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            vmax = x[i];
        }
    }
    r->d = 0.0f;
    for (int i = 0; i < n; i++) r->q[i] = 0;
    if (amax == 0.0f) return;

    int tmp[32];
    float best = INFINITY;
    auto consider = [&](float d) {
        d = half_round(d);
        if (d == 0.0f || !std::isfinite(d)) return;
        const float err = sym_error(x, n, d, qlo, qhi, tmp);
        if (err < best) {
            best = err;
            r->d = d;
            std::memcpy(r->q, tmp, sizeof(int) * size_t(n));
        }
        // least-squares d for these codes, then re-rounded codes
        double sxq = 0.0, sqq = 0.0;
        for (int i = 0; i < n; i++) {
            sxq += double(x[i]) * tmp[i];
            sqq += double(tmp[i]) * tmp[i];
        }
        if (sqq > 0.0) {
            const float d2 = half_round(float(sxq / sqq));
            if (d2 != 0.0f && std::isfinite(d2) && d2 != d) {
                const float err2 = sym_error(x, n, d2, qlo, qhi, tmp);
                if (err2 < best) {
                    best = err2;
                    r->d = d2;
                    std::memcpy(r->q, tmp, sizeof(int) * size_t(n));
                }
            }
        }
    };
    if (neg_end) {
        // largest magnitude -> qlo (exactly, for t = qlo), and a grid of slightly smaller/larger t
        const float t0 = float(-qlo);
        for (int k = -6; k <= 2; k++) consider(vmax / -(t0 + 0.125f * float(k) * (t0 / 8.0f)));
        // also the positive orientation: largest magnitude -> qhi
        consider(vmax / float(qhi));
    } else {
        const float t0 = float(qhi);
        for (int k = -4; k <= 1; k++) consider(amax / (t0 + 0.125f * float(k) * (t0 / 8.0f)));
    }
}

// ---- asymmetric search: y = d * q + m, q in [0, qmax] -------------------------------------------------
struct AsymResult {
    float d, m;  // f16-representable
    int q[32];
};

float asym_error(const float* x, int n, float d, float m, int qmax, int* q) {
    float err = 0.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int i = 0; i < n; i++) {
        q[i] = d != 0.0f ? round_clamp((x[i] - m) * id, 0, qmax) : 0;
        const float e = x[i] - (d * float(q[i]) + m);
        err += e * e;
    }
    return err;
}

void quant_asym(const float* x, int n, int qmax, AsymResult* r) {
    float vmin = x[0], vmax = x[0];
    for (int i = 1; i < n; i++) {
        vmin = std::fmin(vmin, x[i]);
        vmax = std::fmax(vmax, x[i]);
    }
    for (int i = 0; i < n; i++) r->q[i] = 0;
    r->d = 0.0f;
    r->m = half_round(vmin);
    if (!(vmax > vmin)) return;

    int tmp[32];
    float best = INFINITY;
    auto score = [&](float d, float m) {
        if (!std::isfinite(d) || !std::isfinite(m) || d <= 0.0f) return;
        const float err = asym_error(x, n, d, m, qmax, tmp);
        if (err < best) {
            best = err;
            r->d = d;
            r->m = m;
            std::memcpy(r->q, tmp, sizeof(int) * size_t(n));
        }
    };
    auto consider = [&](float d, float m) {
        d = half_round(d);
        m = half_round(m);
        if (d <= 0.0f) return;
        score(d, m);
        // two rounds of least-squares refit of (d, m) for the current codes
        for (int it = 0; it < 2; it++) {
            asym_error(x, n, d, m, qmax, tmp);
            double sx = 0, sq = 0, sqq = 0, sxq = 0;
            for (int i = 0; i < n; i++) {
                sx += x[i];
                sq += tmp[i];
                sqq += double(tmp[i]) * tmp[i];
                sxq += double(x[i]) * tmp[i];
            }
            const double det = double(n) * sqq - sq * sq;
            if (det <= 0.0) return;
            const double dd = (double(n) * sxq - sx * sq) / det;
            const double mm = (sx - dd * sq) / double(n);
            const float d2 = half_round(float(dd)), m2 = half_round(float(mm));
            if (d2 <= 0.0f || (d2 == d && m2 == m)) return;
            d = d2;
            m = m2;
            score(d, m);
        }
    };
    const float range = vmax - vmin;
    for (int k = -5; k <= 1; k++) consider(range / (float(qmax) + 0.125f * float(k) * float(qmax) / 8.0f), vmin);
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
void pack_nibbles(const int* q, uint8_t* qs) {
    for (int j = 0; j < 16; j++) qs[j] = uint8_t((q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4));
}
void pack_high_bits(const int* q, uint8_t* qh) {
    for (int j = 0; j < 4; j++) qh[j] = 0;
    for (int i = 0; i < 32; i++) qh[i >> 3] = uint8_t(qh[i >> 3] | (((q[i] >> 4) & 1) << (i & 7)));
}
}  // namespace

void quantize_row_q4_0(const float* x, void* blocks, int64_t n) {
    block_q4_0* b = as_blocks<block_q4_0>(blocks);
    SymResult r;
    for (int64_t ib = 0; ib < n / QK4_0; ib++, x += QK4_0) {
        quant_sym(x, 32, -8, 7, true, &r);
        int q[32];
        for (int i = 0; i < 32; i++) q[i] = r.q[i] + 8;
        b[ib].d = fp32_to_fp16(r.d);
        pack_nibbles(q, b[ib].qs);
    }
}

void quantize_row_q5_0(const float* x, void* blocks, int64_t n) {
    block_q5_0* b = as_blocks<block_q5_0>(blocks);
    SymResult r;
    for (int64_t ib = 0; ib < n / QK5_0; ib++, x += QK5_0) {
        quant_sym(x, 32, -16, 15, true, &r);
        int q[32];
        for (int i = 0; i < 32; i++) q[i] = r.q[i] + 16;
        b[ib].d = fp32_to_fp16(r.d);
        pack_nibbles(q, b[ib].qs);
        pack_high_bits(q, b[ib].qh);
    }
}

void quantize_row_q4_1(const float* x, void* blocks, int64_t n) {
    block_q4_1* b = as_blocks<block_q4_1>(blocks);
    AsymResult r;
    for (int64_t ib = 0; ib < n / QK4_1; ib++, x += QK4_1) {
        quant_asym(x, 32, 15, &r);
        b[ib].d = fp32_to_fp16(r.d);
        b[ib].m = fp32_to_fp16(r.m);
        pack_nibbles(r.q, b[ib].qs);
    }
}

void quantize_row_q5_1(const float* x, void* blocks, int64_t n) {
    block_q5_1* b = as_blocks<block_q5_1>(blocks);
    AsymResult r;
    for (int64_t ib = 0; ib < n / QK5_1; ib++, x += QK5_1) {
        quant_asym(x, 32, 31, &r);
        b[ib].d = fp32_to_fp16(r.d);
        b[ib].m = fp32_to_fp16(r.m);
        pack_nibbles(r.q, b[ib].qs);
        pack_high_bits(r.q, b[ib].qh);
    }
}

void quantize_row_q8_0(const float* x, void* blocks, int64_t n) {
    // codes restricted to [-127, 127] (symmetric; -128 would break sign-based SIMD dot products)
    block_q8_0* b = as_blocks<block_q8_0>(blocks);
    SymResult r;
    for (int64_t ib = 0; ib < n / QK8_0; ib++, x += QK8_0) {
        quant_sym(x, 32, -127, 127, false, &r);
        b[ib].d = fp32_to_fp16(r.d);
        for (int i = 0; i < 32; i++) b[ib].qs[i] = int8_t(r.q[i]);
    }
}

void quantize_row_q8_1(const float* x, void* blocks, int64_t n) {
    block_q8_1* b = as_blocks<block_q8_1>(blocks);
    for (int64_t ib = 0; ib < n / QK8_1; ib++, x += QK8_1) {
        float amax = 0.0f;
        for (int i = 0; i < 32; i++) amax = std::fmax(amax, std::fabs(x[i]));
        const float d = half_round(amax / 127.0f);
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int i = 0; i < 32; i++) {
            const int q = round_clamp(x[i] * id, -127, 127);
            b[ib].qs[i] = int8_t(q);
            sum += q;
        }
        b[ib].d = fp32_to_fp16(d);
        b[ib].s = to_half_sat(d * float(sum));
    }
}

}  // namespace ggml
