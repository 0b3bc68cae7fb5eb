// K-quants: 256-element super-blocks split into groups with their own small integer scales.
//
// Element e (0..255) of a super-block and its bits:
//   Q2_K  group e / 16; code (qs[(e / 128) * 32 + e % 32] >> (2 * ((e / 32) % 4))) & 3;
//         scales[g] = scale | min << 4;  y = (d * scale) * code - (dmin * min)
//   Q3_K  group e / 16; low 2 bits as Q2_K; bit (e / 32) of hmask[e % 32] is the high bit u2;
//         q = low + 4 * u2 - 4 in [-4, 3]; 6-bit scale v_g (stored biased: v_g = scale + 32):
//         low nibble in scales[g % 8] (g < 8: low half, else high half), top 2 bits in
//         scales[8 + g % 4] at bit 2 * (g / 4);  y = (d * scale) * q
//   Q4_K  group e / 32; code nibble ((e / 32) % 2) of qs[(e / 64) * 32 + e % 32];
//         y = (d * sc) * code - (dmin * mn) with 6-bit sc, mn packed in 12 bytes:
//           g < 4: sc = bytes[g] & 63, mn = bytes[g + 4] & 63;
//           g >= 4: sc = (bytes[g + 4] & 15) | (bytes[g - 4] >> 6) << 4,
//                   mn = (bytes[g + 4] >> 4) | (bytes[g] >> 6) << 4
//   Q5_K  as Q4_K plus bit (e / 32) of qh[e % 32] as bit 4 of the code
//   Q6_K  group e / 16; low nibble ((e / 64) % 2) of ql[(e / 128) * 64 + e % 64]; high 2 bits at
//         bit 2 * ((e / 32) % 4) of qh[(e / 128) * 32 + e % 32]; q = code - 32; y = (d * scale) * q
//   Q8_K  y = d * q (d is f32); bsums[g] = sum of q over group g of 16
//
// Dequantization follows gguf-py's float32 evaluation order exactly; contraction into fused
// multiply-adds is switched off for this file so the results are bit-identical.
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

uint16_t to_half_sat(float v) {
    if (v > kHalfMax) v = kHalfMax;
    if (v < -kHalfMax) v = -kHalfMax;
    return fp32_to_fp16(v);
}
float half_round(float v) { return fp16_to_fp32(to_half_sat(v)); }

int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }
int round_clamp(float v, int lo, int hi) {
    if (!(v > float(lo))) return lo;
    if (v >= float(hi)) return hi;
    return clampi(int(std::lround(v)), lo, hi);
}

// ================================ "scale + min" formats: Q2_K, Q4_K, Q5_K ================================
//
// Model per group: y = S * q - M, q in [0, nmax], S >= 0, M >= 0 (the format subtracts the min).

struct MinFormat {
    int ngroups, glen, nmax, scmax;  // scmax: largest integer scale/min (15 or 63)
};

// Nearest codes for (S, M) and the squared error, evaluated exactly as dequantization does.
float group_error_min(const float* x, int n, float S, float M, int nmax, int* q) {
    float err = 0.0f;
    const float iS = S > 0.0f ? 1.0f / S : 0.0f;
    for (int i = 0; i < n; i++) {
        q[i] = S > 0.0f ? round_clamp((x[i] + M) * iS, 0, nmax) : 0;
        const float p = S * float(q[i]);
        const float e = x[i] - (p - M);
        err += e * e;
    }
    return err;
}

// Search (S, M) for one group: a grid of scales around the min/max one, each followed by a few
// least-squares refits of (S, offset) for its codes (offset = -M clamped to <= 0).
void search_group_min(const float* x, int n, int nmax, float* S_out, float* M_out) {
    float vmin = 0.0f, vmax = x[0];
    for (int i = 0; i < n; i++) {
        vmin = std::fmin(vmin, x[i]);
        vmax = std::fmax(vmax, x[i]);
    }
    *S_out = 0.0f;
    *M_out = -vmin;
    if (!(vmax > vmin)) return;
    int q[32];
    float best = INFINITY;
    auto score = [&](float S, float M) {
        const float e = group_error_min(x, n, S, M, nmax, q);
        if (e < best) {
            best = e;
            *S_out = S;
            *M_out = M;
        }
        return e;
    };
    const float range = vmax - vmin;
    for (int k = -8; k <= 2; k++) {
        float S = range / (float(nmax) + 0.1f * float(k) * float(nmax) / 3.0f);
        float M = -vmin;
        if (!(S > 0.0f)) continue;
        score(S, M);
        for (int it = 0; it < 3; it++) {
            group_error_min(x, n, S, M, nmax, q);
            double sx = 0, sq = 0, sqq = 0, sxq = 0;
            for (int i = 0; i < n; i++) {
                sx += x[i];
                sq += q[i];
                sqq += double(q[i]) * q[i];
                sxq += double(x[i]) * q[i];
            }
            const double det = double(n) * sqq - sq * sq;
            double s, b;
            if (det > 0.0) {
                s = (double(n) * sxq - sx * sq) / det;
                b = (sx - s * sq) / double(n);
            } else {
                break;
            }
            if (b > 0.0) {  // the format cannot add a positive offset: refit the scale alone
                b = 0.0;
                s = sqq > 0.0 ? sxq / sqq : 0.0;
            }
            if (!(s > 0.0)) break;
            S = float(s);
            M = float(-b);
            score(S, M);
        }
    }
}

struct MinResult {
    float d, dmin;
    int sc[16], mn[16];
    int q[QK_K];
    float err;
};

// Given per-group targets (S_g, M_g), choose f16 d/dmin and integer scales/mins, refining d/dmin by
// least squares over the whole super-block and the integers by a +-1 neighbourhood search.
void fit_super_min(const float* x, const MinFormat& f, const float* S, const float* M, MinResult* best) {
    float smax = 0.0f, mmax = 0.0f;
    for (int g = 0; g < f.ngroups; g++) {
        smax = std::fmax(smax, S[g]);
        mmax = std::fmax(mmax, M[g]);
    }
    float d = smax / float(f.scmax), dmin = mmax / float(f.scmax);
    MinResult cur;
    int qt[32];
    for (int iter = 0; iter < 4; iter++) {
        const float dh = half_round(d), dmh = half_round(dmin);
        if (!std::isfinite(dh) || !std::isfinite(dmh) || dh < 0.0f || dmh < 0.0f) break;
        cur.d = dh;
        cur.dmin = dmh;
        cur.err = 0.0f;
        for (int g = 0; g < f.ngroups; g++) {
            const float* xg = x + g * f.glen;
            const int rs = dh > 0.0f ? round_clamp(S[g] / dh, 0, f.scmax) : 0;
            const int rm = dmh > 0.0f ? round_clamp(M[g] / dmh, 0, f.scmax) : 0;
            float gbest = INFINITY;
            for (int a = rs - 1; a <= rs + 1; a++) {
                if (a < 0 || a > f.scmax || (dh == 0.0f && a != 0)) continue;
                for (int b = rm - 1; b <= rm + 1; b++) {
                    if (b < 0 || b > f.scmax || (dmh == 0.0f && b != 0)) continue;
                    const float Sg = dh * float(a), Mg = dmh * float(b);
                    const float e = group_error_min(xg, f.glen, Sg, Mg, f.nmax, qt);
                    if (e < gbest) {
                        gbest = e;
                        cur.sc[g] = a;
                        cur.mn[g] = b;
                        std::memcpy(cur.q + g * f.glen, qt, sizeof(int) * size_t(f.glen));
                    }
                }
            }
            cur.err += gbest;
        }
        if (cur.err < best->err) *best = cur;
        // least squares for (d, dmin) with the integers and codes fixed: x ~ d * (sc q) - dmin * mn
        double aa = 0, ab = 0, bb = 0, xa = 0, xb = 0;
        for (int g = 0; g < f.ngroups; g++) {
            for (int i = 0; i < f.glen; i++) {
                const double a = double(cur.sc[g]) * cur.q[g * f.glen + i], b = -double(cur.mn[g]);
                const double xv = x[g * f.glen + i];
                aa += a * a;
                ab += a * b;
                bb += b * b;
                xa += xv * a;
                xb += xv * b;
            }
        }
        const double det = aa * bb - ab * ab;
        double nd, nm;
        if (bb == 0.0) {
            if (aa == 0.0) break;
            nd = xa / aa;
            nm = 0.0;
        } else if (det > 1e-12 * aa * bb) {
            nd = (xa * bb - xb * ab) / det;
            nm = (aa * xb - ab * xa) / det;
        } else {
            break;
        }
        if (!(nd >= 0.0) || !(nm >= 0.0)) break;
        if (half_round(float(nd)) == dh && half_round(float(nm)) == dmh) break;
        d = float(nd);
        dmin = float(nm);
    }
}

void quantize_super_min(const float* x, const MinFormat& f, MinResult* r) {
    float S[16], M[16];
    r->err = INFINITY;
    // start 1: searched group parameters
    for (int g = 0; g < f.ngroups; g++) search_group_min(x + g * f.glen, f.glen, f.nmax, &S[g], &M[g]);
    fit_super_min(x, f, S, M, r);
    // start 2: plain min/max group parameters (keeps the result no worse than the plain quantizer)
    for (int g = 0; g < f.ngroups; g++) {
        const float* xg = x + g * f.glen;
        float vmin = 0.0f, vmax = xg[0];
        for (int i = 0; i < f.glen; i++) {
            vmin = std::fmin(vmin, xg[i]);
            vmax = std::fmax(vmax, xg[i]);
        }
        S[g] = (vmax - vmin) / float(f.nmax);
        M[g] = -vmin;
    }
    fit_super_min(x, f, S, M, r);
    if (!(r->err < INFINITY)) {  // nothing representable (e.g. NaN input): all zeros
        r->d = r->dmin = 0.0f;
        for (int g = 0; g < 16; g++) r->sc[g] = r->mn[g] = 0;
        for (int i = 0; i < QK_K; i++) r->q[i] = 0;
    }
}

// ================================ symmetric formats: Q3_K, Q6_K ================================
//
// Model per group: y = S * q, q in [qlo, qhi]; integer group scales in [slo, shi] times an f16 d.

struct SymFormat {
    int qlo, qhi, slo, shi;
};

float group_error_sym(const float* x, int n, float S, int qlo, int qhi, int* q) {
    float err = 0.0f;
    const float iS = S != 0.0f ? 1.0f / S : 0.0f;
    for (int i = 0; i < n; i++) {
        q[i] = S != 0.0f ? round_clamp(x[i] * iS, qlo, qhi) : 0;
        const float e = x[i] - S * float(q[i]);
        err += e * e;
    }
    return err;
}

// Signed group scale: the largest-magnitude element maps near qlo (the wider side), searched over a
// grid with a least-squares refit per candidate.
float search_group_sym(const float* x, int n, int qlo, int qhi) {
    float amax = 0.0f, vmax = 0.0f;
    for (int i = 0; i < n; i++) {
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            vmax = x[i];
        }
    }
    if (amax == 0.0f) return 0.0f;
    int q[16];
    float best = INFINITY, bestS = vmax / float(qlo);
    auto consider = [&](float S) {
        for (int it = 0; it < 3; it++) {
            if (!(std::fabs(S) > 0.0f) || !std::isfinite(S)) return;
            const float e = group_error_sym(x, n, S, qlo, qhi, q);
            if (e < best) {
                best = e;
                bestS = S;
            }
            double sxq = 0, sqq = 0;
            for (int i = 0; i < n; i++) {
                sxq += double(x[i]) * q[i];
                sqq += double(q[i]) * q[i];
            }
            if (sqq == 0.0) return;
            const float S2 = float(sxq / sqq);
            if (S2 == S) return;
            S = S2;
        }
    };
    const float t0 = float(-qlo);
    for (int k = -8; k <= 2; k++) consider(vmax / -(t0 + 0.1f * float(k) * t0 / 4.0f));
    consider(vmax / float(qhi));
    return bestS;
}

struct SymKResult {
    float d;
    int sc[16];
    int q[QK_K];
    float err;
};

void fit_super_sym(const float* x, const SymFormat& f, const float* S, SymKResult* best) {
    float amax = 0.0f, smax = 0.0f;
    for (int g = 0; g < 16; g++) {
        if (std::fabs(S[g]) > amax) {
            amax = std::fabs(S[g]);
            smax = S[g];
        }
    }
    float d = amax > 0.0f ? smax / float(f.slo) : 0.0f;
    SymKResult cur;
    int qt[16];
    for (int iter = 0; iter < 4; iter++) {
        const float dh = half_round(d);
        if (!std::isfinite(dh)) break;
        cur.d = dh;
        cur.err = 0.0f;
        for (int g = 0; g < 16; g++) {
            const float* xg = x + g * 16;
            const int r = dh != 0.0f ? round_clamp(S[g] / dh, f.slo, f.shi) : 0;
            float gbest = INFINITY;
            for (int a = r - 1; a <= r + 1; a++) {
                if (a < f.slo || a > f.shi || (dh == 0.0f && a != 0)) continue;
                const float e = group_error_sym(xg, 16, dh * float(a), f.qlo, f.qhi, qt);
                if (e < gbest) {
                    gbest = e;
                    cur.sc[g] = a;
                    std::memcpy(cur.q + g * 16, qt, sizeof(qt));
                }
            }
            cur.err += gbest;
        }
        if (cur.err < best->err) *best = cur;
        double aa = 0, xa = 0;
        for (int i = 0; i < QK_K; i++) {
            const double a = double(cur.sc[i / 16]) * cur.q[i];
            aa += a * a;
            xa += double(x[i]) * a;
        }
        if (aa == 0.0) break;
        const double nd = xa / aa;
        if (half_round(float(nd)) == dh) break;
        d = float(nd);
    }
}

void quantize_super_sym(const float* x, const SymFormat& f, SymKResult* r) {
    float S[16];
    r->err = INFINITY;
    for (int g = 0; g < 16; g++) S[g] = search_group_sym(x + g * 16, 16, f.qlo, f.qhi);
    fit_super_sym(x, f, S, r);
    for (int g = 0; g < 16; g++) {  // plain max-abs start
        float amax = 0.0f, vmax = 0.0f;
        for (int i = 0; i < 16; i++) {
            if (std::fabs(x[g * 16 + i]) > amax) {
                amax = std::fabs(x[g * 16 + i]);
                vmax = x[g * 16 + i];
            }
        }
        S[g] = vmax / float(f.qlo);
    }
    fit_super_sym(x, f, S, r);
    if (!(r->err < INFINITY)) {
        r->d = 0.0f;
        for (int g = 0; g < 16; g++) r->sc[g] = 0;
        for (int i = 0; i < QK_K; i++) r->q[i] = 0;
    }
}

// ---- packing helpers ----
void pack_scales_k4(const int* sc, const int* mn, uint8_t* s) {
    for (int g = 0; g < 4; g++) {
        s[g] = uint8_t((sc[g] & 63) | ((sc[g + 4] >> 4) << 6));
        s[g + 4] = uint8_t((mn[g] & 63) | ((mn[g + 4] >> 4) << 6));
        s[g + 8] = uint8_t((sc[g + 4] & 15) | ((mn[g + 4] & 15) << 4));
    }
}
void unpack_scales_k4(const uint8_t* s, int* sc, int* mn) {
    for (int g = 0; g < 4; g++) {
        sc[g] = s[g] & 63;
        mn[g] = s[g + 4] & 63;
        sc[g + 4] = (s[g + 8] & 15) | ((s[g] >> 6) << 4);
        mn[g + 4] = (s[g + 8] >> 4) | ((s[g + 4] >> 6) << 4);
    }
}

}  // namespace

// ====================================== dequantization ======================================

void dequantize_row_q2_K(const void* blocks, float* y, int64_t n) {
    const block_q2_K* b = static_cast<const block_q2_K*>(blocks);
    for (int64_t ib = 0; ib < n / QK_K; ib++, y += QK_K) {
        const float d = fp16_to_fp32(b[ib].d), dmin = fp16_to_fp32(b[ib].dmin);
        for (int e = 0; e < QK_K; e++) {
            const int g = e / 16;
            const float dl = d * float(b[ib].scales[g] & 15);
            const float ml = dmin * float(b[ib].scales[g] >> 4);
            const int q = (b[ib].qs[(e / 128) * 32 + e % 32] >> (2 * ((e / 32) % 4))) & 3;
            const float p = dl * float(q);
            y[e] = p - ml;
        }
    }
}

void dequantize_row_q3_K(const void* blocks, float* y, int64_t n) {
    const block_q3_K* b = static_cast<const block_q3_K*>(blocks);
    for (int64_t ib = 0; ib < n / QK_K; ib++, y += QK_K) {
        const float d = fp16_to_fp32(b[ib].d);
        const uint8_t* s = b[ib].scales;
        float dl[16];
        for (int g = 0; g < 16; g++) {
            const int lo = g < 8 ? (s[g] & 15) : (s[g - 8] >> 4);
            const int hi = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
            dl[g] = d * float((lo | (hi << 4)) - 32);
        }
        for (int e = 0; e < QK_K; e++) {
            const int low = (b[ib].qs[(e / 128) * 32 + e % 32] >> (2 * ((e / 32) % 4))) & 3;
            const int high = (b[ib].hmask[e % 32] >> (e / 32)) & 1;
            y[e] = dl[e / 16] * float(low + 4 * high - 4);
        }
    }
}

void dequantize_row_q4_K(const void* blocks, float* y, int64_t n) {
    const block_q4_K* b = static_cast<const block_q4_K*>(blocks);
    for (int64_t ib = 0; ib < n / QK_K; ib++, y += QK_K) {
        const float d = fp16_to_fp32(b[ib].d), dmin = fp16_to_fp32(b[ib].dmin);
        int sc[8], mn[8];
        unpack_scales_k4(b[ib].scales, sc, mn);
        for (int e = 0; e < QK_K; e++) {
            const int g = e / 32;
            const float ds = d * float(sc[g]), dm = dmin * float(mn[g]);
            const int q = (b[ib].qs[(e / 64) * 32 + e % 32] >> (4 * (g % 2))) & 15;
            const float p = ds * float(q);
            y[e] = p - dm;
        }
    }
}

void dequantize_row_q5_K(const void* blocks, float* y, int64_t n) {
    const block_q5_K* b = static_cast<const block_q5_K*>(blocks);
    for (int64_t ib = 0; ib < n / QK_K; ib++, y += QK_K) {
        const float d = fp16_to_fp32(b[ib].d), dmin = fp16_to_fp32(b[ib].dmin);
        int sc[8], mn[8];
        unpack_scales_k4(b[ib].scales, sc, mn);
        for (int e = 0; e < QK_K; e++) {
            const int g = e / 32;
            const float ds = d * float(sc[g]), dm = dmin * float(mn[g]);
            const int q = ((b[ib].qs[(e / 64) * 32 + e % 32] >> (4 * (g % 2))) & 15) |
                          (((b[ib].qh[e % 32] >> g) & 1) << 4);
            const float p = ds * float(q);
            y[e] = p - dm;
        }
    }
}

void dequantize_row_q6_K(const void* blocks, float* y, int64_t n) {
    const block_q6_K* b = static_cast<const block_q6_K*>(blocks);
    for (int64_t ib = 0; ib < n / QK_K; ib++, y += QK_K) {
        const float d = fp16_to_fp32(b[ib].d);
        for (int e = 0; e < QK_K; e++) {
            const int lo = (b[ib].ql[(e / 128) * 64 + e % 64] >> (4 * ((e / 64) % 2))) & 15;
            const int hi = (b[ib].qh[(e / 128) * 32 + e % 32] >> (2 * ((e / 32) % 4))) & 3;
            const float dl = d * float(b[ib].scales[e / 16]);
            y[e] = dl * float((lo | (hi << 4)) - 32);
        }
    }
}

void dequantize_row_q8_K(const void* blocks, float* y, int64_t n) {
    const block_q8_K* b = static_cast<const block_q8_K*>(blocks);
    for (int64_t ib = 0; ib < n / QK_K; ib++, y += QK_K) {
        const float d = b[ib].d;
        for (int e = 0; e < QK_K; e++) y[e] = d * float(b[ib].qs[e]);
    }
}

// ====================================== quantization ======================================

void quantize_row_q2_K(const float* x, void* blocks, int64_t n) {
    block_q2_K* b = static_cast<block_q2_K*>(blocks);
    const MinFormat f{16, 16, 3, 15};
    MinResult r;
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        quantize_super_min(x, f, &r);
        b[ib].d = fp32_to_fp16(r.d);
        b[ib].dmin = fp32_to_fp16(r.dmin);
        for (int g = 0; g < 16; g++) b[ib].scales[g] = uint8_t(r.sc[g] | (r.mn[g] << 4));
        std::memset(b[ib].qs, 0, sizeof(b[ib].qs));
        for (int e = 0; e < QK_K; e++)
            b[ib].qs[(e / 128) * 32 + e % 32] |= uint8_t(r.q[e] << (2 * ((e / 32) % 4)));
    }
}

void quantize_row_q3_K(const float* x, void* blocks, int64_t n) {
    block_q3_K* b = static_cast<block_q3_K*>(blocks);
    const SymFormat f{-4, 3, -32, 31};
    SymKResult r;
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        quantize_super_sym(x, f, &r);
        b[ib].d = fp32_to_fp16(r.d);
        std::memset(b[ib].scales, 0, sizeof(b[ib].scales));
        for (int g = 0; g < 16; g++) {
            const int v = r.sc[g] + 32;
            if (g < 8) b[ib].scales[g] |= uint8_t(v & 15);
            else b[ib].scales[g - 8] |= uint8_t((v & 15) << 4);
            b[ib].scales[8 + g % 4] |= uint8_t((v >> 4) << (2 * (g / 4)));
        }
        std::memset(b[ib].qs, 0, sizeof(b[ib].qs));
        std::memset(b[ib].hmask, 0, sizeof(b[ib].hmask));
        for (int e = 0; e < QK_K; e++) {
            const int u = r.q[e] + 4;
            b[ib].qs[(e / 128) * 32 + e % 32] |= uint8_t((u & 3) << (2 * ((e / 32) % 4)));
            b[ib].hmask[e % 32] |= uint8_t((u >> 2) << (e / 32));
        }
    }
}

namespace {
void set_high_bits(block_q4_K&, const int*) {}
void set_high_bits(block_q5_K& b, const int* q) {
    std::memset(b.qh, 0, sizeof(b.qh));
    for (int e = 0; e < QK_K; e++) b.qh[e % 32] = uint8_t(b.qh[e % 32] | (((q[e] >> 4) & 1) << (e / 32)));
}

template <typename Block>
void quantize_row_k45(const float* x, Block* b, int64_t n, int nmax) {
    const MinFormat f{8, 32, nmax, 63};
    MinResult r;
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        quantize_super_min(x, f, &r);
        b[ib].d = fp32_to_fp16(r.d);
        b[ib].dmin = fp32_to_fp16(r.dmin);
        pack_scales_k4(r.sc, r.mn, b[ib].scales);
        std::memset(b[ib].qs, 0, sizeof(b[ib].qs));
        for (int e = 0; e < QK_K; e++)
            b[ib].qs[(e / 64) * 32 + e % 32] |= uint8_t((r.q[e] & 15) << (4 * ((e / 32) % 2)));
        set_high_bits(b[ib], r.q);
    }
}
}  // namespace

void quantize_row_q4_K(const float* x, void* blocks, int64_t n) {
    quantize_row_k45(x, static_cast<block_q4_K*>(blocks), n, 15);
}

void quantize_row_q5_K(const float* x, void* blocks, int64_t n) {
    quantize_row_k45(x, static_cast<block_q5_K*>(blocks), n, 31);
}

void quantize_row_q6_K(const float* x, void* blocks, int64_t n) {
    block_q6_K* b = static_cast<block_q6_K*>(blocks);
    const SymFormat f{-32, 31, -128, 127};
    SymKResult r;
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        quantize_super_sym(x, f, &r);
        b[ib].d = fp32_to_fp16(r.d);
        for (int g = 0; g < 16; g++) b[ib].scales[g] = int8_t(r.sc[g]);
        std::memset(b[ib].ql, 0, sizeof(b[ib].ql));
        std::memset(b[ib].qh, 0, sizeof(b[ib].qh));
        for (int e = 0; e < QK_K; e++) {
            const int u = r.q[e] + 32;
            b[ib].ql[(e / 128) * 64 + e % 64] |= uint8_t((u & 15) << (4 * ((e / 64) % 2)));
            b[ib].qh[(e / 128) * 32 + e % 32] |= uint8_t((u >> 4) << (2 * ((e / 32) % 4)));
        }
    }
}

void quantize_row_q8_K(const float* x, void* blocks, int64_t n) {
    block_q8_K* b = static_cast<block_q8_K*>(blocks);
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        float amax = 0.0f;
        for (int e = 0; e < QK_K; e++) amax = std::fmax(amax, std::fabs(x[e]));
        const float d = std::isfinite(amax) ? amax / 127.0f : 0.0f;
        b[ib].d = d;
        for (int g = 0; g < QK_K / 16; g++) {
            int sum = 0;
            for (int i = 0; i < 16; i++) {
                const int q = d > 0.0f ? round_clamp(x[g * 16 + i] / d, -127, 127) : 0;
                b[ib].qs[g * 16 + i] = int8_t(q);
                sum += q;
            }
            b[ib].bsums[g] = int16_t(sum);
        }
    }
}

}  // namespace ggml
