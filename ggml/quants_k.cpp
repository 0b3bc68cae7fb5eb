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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ggml/quant_helpers.h"
#include "ggml/quants.h"

namespace ggml {

namespace {

using namespace quant_helpers;


int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Nearest integer in [lo, hi] (a NaN gives lo); scalar, for the few integer scales per group.
int round_clamp(float v, int lo, int hi) {
    if (!(v > float(lo))) return lo;
    if (v >= float(hi)) return hi;
    return clampi(int(std::lround(v)), lo, hi);
}

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

// The multi-candidate kernels run the candidates in small batches so that their accumulators and
// constants stay in registers.
constexpr int kBatch = 2;
inline constexpr int batch_end(int k0, int K) { return k0 + kBatch < K ? k0 + kBatch : K; }

// Sums of one group's codes L for the least-squares fits.
struct CodeSums {
    float sl, sll, sxl;  // sum L, sum L^2, sum x L
};

// "Scale + min" group y = S * L - M, L in [0, nmax]: nearest clamped codes, squared error evaluated
// exactly as dequantization does (p = S * L, then p - M), and the code sums.
template <int N>
ALWAYS_INLINE float min_pass(const float* x, float S, float M, float nmax, float* L, CodeSums* cs) {
    const f4 iS = bc4(1.0f / S), vS = bc4(S), vM = bc4(M), lo = bc4(0.0f), hi = bc4(nmax);
    f4 e = lo, a = lo, b = lo, c = lo;
    for (int i = 0; i < N; i += 4) {
        const f4 xv = ld4(x + i);
        const f4 v = round4(clamp4((xv + vM) * iS, lo, hi));
        st4(L + i, v);
        const f4 p = vS * v;
        const f4 r = xv - (p - vM);
        e += r * r;
        a += v;
        b += v * v;
        c += xv * v;
    }
    cs->sl = hsum4(a);
    cs->sll = hsum4(b);
    cs->sxl = hsum4(c);
    return hsum4(e);
}

// Squared errors of a group for the 3 x 3 candidates (S_a, M_b), errors only (selection; the winner is
// evaluated exactly by min_pass). err[3 * a + b].
template <int N>
ALWAYS_INLINE void min_errs9(const float* x, const float* S, const float* M, float nmax, float* err) {
    const f4 lo = bc4(0.0f), hi = bc4(nmax);
    f4 iS[3], vS[3], vM[3], acc[9];
    for (int k = 0; k < 3; k++) {
        iS[k] = bc4(S[k] > 0.0f ? 1.0f / S[k] : 0.0f);
        vS[k] = bc4(S[k]);
        vM[k] = bc4(M[k]);
    }
    for (int k = 0; k < 9; k++) acc[k] = lo;
    for (int b = 0; b < 3; b++) {
        for (int i = 0; i < N; i += 4) {
            const f4 xm = ld4(x + i) + vM[b];
            for (int a = 0; a < 3; a++) {
                const f4 v = round4(clamp4(xm * iS[a], lo, hi));
                const f4 r = xm - vS[a] * v;
                acc[3 * a + b] += r * r;
            }
        }
    }
    for (int k = 0; k < 9; k++) err[k] = hsum4(acc[k]);
}

// Errors and code sums of a group for K candidates (S_k, M_k) at once (no codes stored; the error as
// (x + M) - S * L, which differs from the dequantized order only by rounding).
template <int N, int K>
ALWAYS_INLINE void min_multi(const float* x, const float* S, const float* M, float nmax, float* err,
                             CodeSums* cs) {
    const f4 lo = bc4(0.0f), hi = bc4(nmax);
    f4 iS[K], vS[K], vM[K], e[K], a[K], b[K], c[K];
    for (int k = 0; k < K; k++) {
        iS[k] = bc4(1.0f / S[k]);
        vS[k] = bc4(S[k]);
        vM[k] = bc4(M[k]);
        e[k] = a[k] = b[k] = c[k] = lo;
    }
    for (int k0 = 0; k0 < K; k0 += kBatch) {
        for (int i = 0; i < N; i += 4) {
            const f4 xv = ld4(x + i);
            for (int k = k0; k < batch_end(k0, K); k++) {
                const f4 xm = xv + vM[k];
                const f4 v = round4(clamp4(xm * iS[k], lo, hi));
                const f4 r = xm - vS[k] * v;
                e[k] += r * r;
                a[k] += v;
                b[k] += v * v;
                c[k] += xv * v;
            }
        }
    }
    for (int k = 0; k < K; k++) {
        err[k] = hsum4(e[k]);
        cs[k].sl = hsum4(a[k]);
        cs[k].sll = hsum4(b[k]);
        cs[k].sxl = hsum4(c[k]);
    }
}

// Symmetric group y = S * L, L in [qlo, qhi].
template <int N>
ALWAYS_INLINE float sym_pass(const float* x, float S, float qlo, float qhi, float* L, CodeSums* cs) {
    const f4 iS = bc4(1.0f / S), vS = bc4(S), lo = bc4(qlo), hi = bc4(qhi);
    f4 e = bc4(0.0f), b = e, c = e;
    for (int i = 0; i < N; i += 4) {
        const f4 xv = ld4(x + i);
        const f4 v = round4(clamp4(xv * iS, lo, hi));
        st4(L + i, v);
        const f4 r = xv - vS * v;
        e += r * r;
        b += v * v;
        c += xv * v;
    }
    cs->sl = 0.0f;
    cs->sll = hsum4(b);
    cs->sxl = hsum4(c);
    return hsum4(e);
}

// Errors and code sums (sum L^2, sum x L) of a symmetric group for K candidate scales at once.
template <int N, int K>
ALWAYS_INLINE void sym_multi(const float* x, const float* S, float qlo, float qhi, float* err, CodeSums* cs) {
    const f4 lo = bc4(qlo), hi = bc4(qhi);
    f4 iS[K], vS[K], e[K], b[K], c[K];
    for (int k = 0; k < K; k++) {
        iS[k] = bc4(S[k] != 0.0f ? 1.0f / S[k] : 0.0f);
        vS[k] = bc4(S[k]);
        e[k] = b[k] = c[k] = bc4(0.0f);
    }
    for (int k0 = 0; k0 < K; k0 += kBatch) {
        for (int i = 0; i < N; i += 4) {
            const f4 xv = ld4(x + i);
            for (int k = k0; k < batch_end(k0, K); k++) {
                const f4 v = round4(clamp4(xv * iS[k], lo, hi));
                const f4 r = xv - vS[k] * v;
                e[k] += r * r;
                b[k] += v * v;
                c[k] += xv * v;
            }
        }
    }
    for (int k = 0; k < K; k++) {
        err[k] = hsum4(e[k]);
        cs[k].sl = 0.0f;
        cs[k].sll = hsum4(b[k]);
        cs[k].sxl = hsum4(c[k]);
    }
}

// min, max and sum of a group (NaN elements are skipped unless the first vector holds them).
template <int N>
void group_stats(const float* x, float* vmin, float* vmax, float* sum) {
    f4 mx = ld4(x), mn = mx, sv = mx;
    for (int i = 4; i < N; i += 4) {
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

// ================================ "scale + min" formats: Q2_K, Q4_K, Q5_K ================================
//
// Model per group: y = S * q - M, q in [0, nmax], S >= 0, M >= 0 (the format subtracts the min).

// Group search starts (the t tables below hold this many): fewer for Q2_K's 16-element groups (twice
// as many groups, and its 4-bit scales dominate its error).
template <int N>
constexpr int group_starts() { return N == 16 ? 4 : 6; }

struct MinFormat {
    int ngroups, glen, nmax, scmax;  // scmax: largest integer scale/min (15 or 63)
    const float* ts;                 // group search: group_starts<N>() starting scales (max - min) / t,
    bool start_refit;                // one least-squares refit of every start,
    int refits;                      // then refits of the best one while they help
    int super_iters;                 // rounds of super-block (d, dmin) fits
};

// Least-squares (S, M) of a group for fixed codes: x ~ S * L - M with M >= 0 (when the free fit wants
// a negative min, the min is 0 and S alone is fitted).
bool refit_min(float n, float sx, const CodeSums& c, float* S, float* M) {
    const float det = n * c.sll - c.sl * c.sl;  // exact: integer sums below 2^24
    float s, b;
    if (det > 0.0f) {
        s = (n * c.sxl - sx * c.sl) / det;
        b = (sx - s * c.sl) / n;
        if (b > 0.0f) {
            b = 0.0f;
            s = c.sxl / c.sll;
        }
    } else {
        return false;
    }
    if (!(s > 0.0f) || !std::isfinite(s) || !std::isfinite(b)) return false;
    *S = s;
    *M = -b;
    return true;
}

// Search (S, M) for one group (unrounded targets for the super-block fit): group_starts<N>() starts
// S = range / t with M = -min (min taken <= 0), scored at once; one least-squares refit of each start
// for its codes (again all at once); then refits of the best while they help.
template <int N>
void search_group_min(const float* x, const MinFormat& f, float* S_out, float* M_out) {
    float vmin, vmax, sx;
    group_stats<N>(x, &vmin, &vmax, &sx);
    vmin = vmin < 0.0f ? vmin : 0.0f;
    *S_out = 0.0f;
    *M_out = std::isfinite(vmin) ? -vmin : 0.0f;
    if (!(vmax > vmin) || !std::isfinite(vmax - vmin)) {
        if (vmax > vmin) *S_out = std::isfinite(vmax) ? kHalfMax : 0.0f;  // overflowing range
        return;
    }
    const float nmax = float(f.nmax), range = vmax - vmin;
    // all starts at once, then one least-squares refit of each, then refits of the best
    constexpr int K = group_starts<N>();
    float S[K], M[K], err[K];
    CodeSums cs[K];
    for (int k = 0; k < K; k++) {
        S[k] = range / f.ts[k];
        M[k] = -vmin;
    }
    min_multi<N, K>(x, S, M, nmax, err, cs);
    float best = INFINITY;
    CodeSums bc{0.0f, 0.0f, 0.0f};
    auto take = [&](float e, float Sk, float Mk, const CodeSums& c) {
        if (!(e < best)) return false;
        best = e;
        *S_out = Sk;
        *M_out = Mk;
        bc = c;
        return true;
    };
    for (int k = 0; k < K; k++) take(err[k], S[k], M[k], cs[k]);
    if (f.start_refit) {
        float S1[K], M1[K];
        for (int k = 0; k < K; k++) {
            if (!refit_min(float(N), sx, cs[k], &S1[k], &M1[k])) {
                S1[k] = S[k];
                M1[k] = M[k];
            }
        }
        min_multi<N, K>(x, S1, M1, nmax, err, cs);
        for (int k = 0; k < K; k++) take(err[k], S1[k], M1[k], cs[k]);
    }
    for (int it = 0; it < f.refits; it++) {
        float S1, M1, e1;
        CodeSums c1;
        if (!refit_min(float(N), sx, bc, &S1, &M1)) break;
        min_multi<N, 1>(x, &S1, &M1, nmax, &e1, &c1);
        if (!take(e1, S1, M1, c1)) break;
    }
}

struct MinResult {
    float d, dmin;
    int sc[16], mn[16];
    float q[QK_K];  // codes (exact integers)
    float err;
};

// Given per-group targets (S_g, M_g), choose f16 d/dmin and integer scales/mins (nearest, and their
// +-1 neighbours, scored exactly), then refit (d, dmin) by least squares over the whole super-block for
// those integers and codes, a few rounds while that changes them.
template <int N>
void fit_super_min(const float* x, const MinFormat& f, const float* S, const float* M, const float* gsum,
                   MinResult* best) {
    float smax = 0.0f, mmax = 0.0f;
    for (int g = 0; g < f.ngroups; g++) {
        smax = S[g] > smax ? S[g] : smax;
        mmax = M[g] > mmax ? M[g] : mmax;
    }
    float d = smax / float(f.scmax), dmin = mmax / float(f.scmax);
    MinResult cur;
    const float nmax = float(f.nmax);
    for (int iter = 0; iter < f.super_iters; iter++) {
        const float dh = half_round(d), dmh = half_round(dmin);
        if (!std::isfinite(dh) || !std::isfinite(dmh) || !(dh >= 0.0f) || !(dmh >= 0.0f)) break;
        cur.d = dh;
        cur.dmin = dmh;
        cur.err = 0.0f;
        double aa = 0, ab = 0, bb = 0, xa = 0, xb = 0;
        for (int g = 0; g < f.ngroups; g++) {
            const float* xg = x + g * N;
            const int rs = dh > 0.0f ? round_clamp(S[g] / dh, 0, f.scmax) : 0;
            const int rm = dmh > 0.0f ? round_clamp(M[g] / dmh, 0, f.scmax) : 0;
            int av[3], bv[3];
            float Sa[3], Mb[3], e9[9];
            for (int k = 0; k < 3; k++) {
                av[k] = dh > 0.0f ? clampi(rs + k - 1, 0, f.scmax) : 0;
                bv[k] = dmh > 0.0f ? clampi(rm + k - 1, 0, f.scmax) : 0;
                Sa[k] = dh * float(av[k]);
                Mb[k] = dmh * float(bv[k]);
            }
            min_errs9<N>(xg, Sa, Mb, nmax, e9);
            int kb = 4;
            for (int k = 0; k < 9; k++)
                if (e9[k] < e9[kb]) kb = k;
            cur.sc[g] = av[kb / 3];
            cur.mn[g] = bv[kb % 3];
            CodeSums gc;
            const float gbest = min_pass<N>(xg, Sa[kb / 3], Mb[kb % 3], nmax, cur.q + g * N, &gc);
            if (!(gbest < INFINITY)) {  // non-finite data: give up on this start
                cur.err = INFINITY;
                break;
            }
            cur.err += gbest;
            // x ~ d * (sc L) - dmin * mn: normal-equation sums from the group's code sums
            const double sa = cur.sc[g], sb = cur.mn[g];
            aa += sa * sa * gc.sll;
            ab -= sa * sb * gc.sl;
            bb += sb * sb * double(N);
            xa += sa * gc.sxl;
            xb -= sb * gsum[g];
        }
        if (!(cur.err < INFINITY)) break;
        if (cur.err < best->err) *best = cur;
        if (iter + 1 == f.super_iters) break;
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

// The plain choice (group scale/min from the group's min/max, d/dmin from the largest of those,
// integers by rounding) with nearest codes: replaces *best when better, so that the result is never
// worse than the plain quantizer. lo/hi: each group's min (taken <= 0) and max.
template <int N>
void plain_min(const float* x, const MinFormat& f, const float* lo, const float* hi, MinResult* best) {
    float S[16], smax = 0.0f, mmax = 0.0f;
    for (int g = 0; g < f.ngroups; g++) {
        S[g] = (hi[g] - lo[g]) / float(f.nmax);
        smax = S[g] > smax ? S[g] : smax;
        mmax = -lo[g] > mmax ? -lo[g] : mmax;
    }
    MinResult cur;
    cur.d = half_round(smax / float(f.scmax));
    cur.dmin = half_round(mmax / float(f.scmax));
    if (!std::isfinite(cur.d) || !std::isfinite(cur.dmin)) return;
    cur.err = 0.0f;
    for (int g = 0; g < f.ngroups; g++) {
        cur.sc[g] = cur.d > 0.0f ? round_clamp(S[g] / cur.d, 0, f.scmax) : 0;
        cur.mn[g] = cur.dmin > 0.0f ? round_clamp(-lo[g] / cur.dmin, 0, f.scmax) : 0;
        CodeSums c;
        const float Sg = cur.d * float(cur.sc[g]), Mg = cur.dmin * float(cur.mn[g]);
        cur.err += min_pass<N>(x + g * N, Sg, Mg, float(f.nmax), cur.q + g * N, &c);
    }
    if (cur.err < best->err) *best = cur;
}

template <int N>
void quantize_super_min(const float* x, const MinFormat& f, MinResult* r) {
    float S[16], M[16], gsum[16], lo[16], hi[16];
    r->err = INFINITY;
    for (int g = 0; g < f.ngroups; g++) {
        group_stats<N>(x + g * N, &lo[g], &hi[g], &gsum[g]);
        lo[g] = lo[g] < 0.0f ? lo[g] : 0.0f;
        search_group_min<N>(x + g * N, f, &S[g], &M[g]);
    }
    fit_super_min<N>(x, f, S, M, gsum, r);
    plain_min<N>(x, f, lo, hi, r);
    if (!(r->err < INFINITY)) {  // nothing representable (e.g. NaN input): all zeros
        r->d = r->dmin = 0.0f;
        for (int g = 0; g < 16; g++) r->sc[g] = r->mn[g] = 0;
        for (int i = 0; i < QK_K; i++) r->q[i] = 0.0f;
    }
}

// ================================ symmetric formats: Q3_K, Q6_K ================================
//
// Model per group (16 groups of 16): y = S * q, q in [qlo, qhi]; integer group scales in [slo, shi]
// times an f16 d.

constexpr int kSymStarts = 8;  // group search starts (the t tables below hold this many)

struct SymFormat {
    int qlo, qhi, slo, shi;
    const float* ts;   // group search: kSymStarts starting scales vmax / t (vmax: largest-magnitude
    bool start_refit;  // element, signed), one least-squares refit of every start,
    int refits;        // then refits of the best one while they help
    int super_iters;   // rounds of super-block d fits
};

// Signed group scale (unrounded target; vmax_out: the group's largest-magnitude element): kSymStarts
// starts vmax / t scored at once, one least-squares refit of each (at once), then refits of the best
// while they help.
float search_group_sym(const float* x, const SymFormat& f, float* vmax_out) {
    float lo, hi, sx;
    group_stats<16>(x, &lo, &hi, &sx);
    const float vmax = -lo > hi ? lo : hi;
    *vmax_out = vmax;
    if (!(std::fabs(vmax) > 0.0f)) return 0.0f;
    const float qlo = float(f.qlo), qhi = float(f.qhi);
    // all starts at once, then one least-squares refit of each, then refits of the best
    constexpr int K = kSymStarts;
    float S[K], err[K];
    CodeSums cs[K];
    for (int k = 0; k < K; k++) S[k] = vmax / f.ts[k];
    sym_multi<16, K>(x, S, qlo, qhi, err, cs);
    float best = INFINITY, bestS = S[0];
    CodeSums bc{0.0f, 0.0f, 0.0f};
    auto take = [&](float e, float Sk, const CodeSums& c) {
        if (!(e < best)) return false;
        best = e;
        bestS = Sk;
        bc = c;
        return true;
    };
    for (int k = 0; k < K; k++) take(err[k], S[k], cs[k]);
    if (f.start_refit) {
        float S1[K];
        for (int k = 0; k < K; k++) {
            S1[k] = cs[k].sll > 0.0f ? cs[k].sxl / cs[k].sll : S[k];
            if (!std::isfinite(S1[k])) S1[k] = S[k];
        }
        sym_multi<16, K>(x, S1, qlo, qhi, err, cs);
        for (int k = 0; k < K; k++) take(err[k], S1[k], cs[k]);
    }
    for (int it = 0; it < f.refits && bc.sll > 0.0f; it++) {
        const float S1 = bc.sxl / bc.sll;
        if (!std::isfinite(S1)) break;
        float e1;
        CodeSums c1;
        sym_multi<16, 1>(x, &S1, qlo, qhi, &e1, &c1);
        if (!take(e1, S1, c1)) break;
    }
    return bestS;
}

struct SymKResult {
    float d;
    int sc[16];
    float q[QK_K];
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
    const float qlo = float(f.qlo), qhi = float(f.qhi);
    for (int iter = 0; iter < f.super_iters; iter++) {
        const float dh = half_round(d);
        if (!std::isfinite(dh)) break;
        cur.d = dh;
        cur.err = 0.0f;
        double aa = 0, xa = 0;
        for (int g = 0; g < 16; g++) {
            const float* xg = x + g * 16;
            const int r = dh != 0.0f ? round_clamp(S[g] / dh, f.slo, f.shi) : 0;
            float Sa[3], e3[3];
            int av[3];
            CodeSums c3[3];
            for (int k = 0; k < 3; k++) {
                av[k] = dh != 0.0f ? clampi(r + k - 1, f.slo, f.shi) : 0;
                Sa[k] = dh * float(av[k]);
            }
            sym_multi<16, 3>(xg, Sa, qlo, qhi, e3, c3);
            int kb = 1;
            for (int k = 0; k < 3; k++)
                if (e3[k] < e3[kb]) kb = k;
            cur.sc[g] = av[kb];
            CodeSums gc;
            const float gbest = sym_pass<16>(xg, Sa[kb], qlo, qhi, cur.q + g * 16, &gc);
            if (!(gbest < INFINITY)) {
                cur.err = INFINITY;
                break;
            }
            cur.err += gbest;
            const double sa = cur.sc[g];
            aa += sa * sa * gc.sll;
            xa += sa * gc.sxl;
        }
        if (!(cur.err < INFINITY)) break;
        if (cur.err < best->err) *best = cur;
        if (iter + 1 == f.super_iters || aa == 0.0) break;
        const double nd = xa / aa;
        if (half_round(float(nd)) == dh) break;
        d = float(nd);
    }
}

// The plain choice (group scale from the largest-magnitude element onto qlo, d from the largest of
// those onto slo, integer scales by rounding) with nearest codes; replaces *best when better.
void plain_sym(const float* x, const SymFormat& f, const float* vmax, SymKResult* best) {
    float S[16], amax = 0.0f, smax = 0.0f;
    for (int g = 0; g < 16; g++) {
        S[g] = vmax[g] / float(f.qlo);
        if (std::fabs(S[g]) > amax) {
            amax = std::fabs(S[g]);
            smax = S[g];
        }
    }
    SymKResult cur;
    cur.d = half_round(smax / float(f.slo));
    if (!std::isfinite(cur.d)) return;
    cur.err = 0.0f;
    for (int g = 0; g < 16; g++) {
        cur.sc[g] = cur.d != 0.0f ? round_clamp(S[g] / cur.d, f.slo, f.shi) : 0;
        CodeSums c;
        const float Sg = cur.d * float(cur.sc[g]);
        cur.err += sym_pass<16>(x + g * 16, Sg, float(f.qlo), float(f.qhi), cur.q + g * 16, &c);
    }
    if (cur.err < best->err) *best = cur;
}

void quantize_super_sym(const float* x, const SymFormat& f, SymKResult* r) {
    float S[16], vmax[16];
    r->err = INFINITY;
    for (int g = 0; g < 16; g++) S[g] = search_group_sym(x + g * 16, f, &vmax[g]);
    fit_super_sym(x, f, S, r);
    plain_sym(x, f, vmax, r);
    if (!(r->err < INFINITY)) {
        r->d = 0.0f;
        for (int g = 0; g < 16; g++) r->sc[g] = 0;
        for (int i = 0; i < QK_K; i++) r->q[i] = 0.0f;
    }
}

// ---- packing helpers ----
// Float codes (exact integers) plus an offset, as ints.
void codes_to_int(const float* q, int offset, int* u) {
    for (int e = 0; e < QK_K; e++) u[e] = int(q[e]) + offset;
}
// 2-bit fields of 256 values: element h * 128 + m * 32 + j at bit 2 * m of out[h * 32 + j] (bits above
// the low 2 of each value are dropped).
void pack_2bit(const int* u, uint8_t* out) {
    for (int h = 0; h < 2; h++)
        for (int j = 0; j < 32; j++) {
            const int* p = u + h * 128 + j;
            out[h * 32 + j] =
                uint8_t((p[0] & 3) | ((p[32] & 3) << 2) | ((p[64] & 3) << 4) | ((p[96] & 3) << 6));
        }
}
// Bit `bit` of element m * 32 + j at bit m of out[j] (32 bytes).
void pack_bit_planes(const int* u, int bit, uint8_t* out) {
    for (int j = 0; j < 32; j++) {
        int v = 0;
        for (int m = 0; m < 8; m++) v |= ((u[m * 32 + j] >> bit) & 1) << m;
        out[j] = uint8_t(v);
    }
}
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

namespace {
// Group search starts. Scale + min: (max - min) / t around the number of code steps. Symmetric: the
// largest-magnitude element onto (or a little inside) the wider negative end, or onto qhi.
constexpr float kTs_q2_K[group_starts<16>()] = {3.0f, 2.7f, 2.85f, 3.15f};
constexpr float kTs_q4_K[group_starts<32>()] = {15.0f, 13.0f, 13.75f, 14.5f, 15.5f, 16.0f};
constexpr float kTs_q5_K[group_starts<32>()] = {31.0f, 27.0f, 28.5f, 29.5f, 30.25f, 32.0f};
constexpr float kTs_q3_K[kSymStarts] = {-4.0f, -3.4f, -3.6f, -3.8f, -4.2f, -3.2f, -4.4f, 3.0f};
constexpr float kTs_q6_K[kSymStarts] = {-32.0f, -26.0f, -28.0f, -29.0f, -30.0f, -31.0f, -33.0f, 31.0f};
}  // namespace

void quantize_row_q2_K(const float* x, void* blocks, int64_t n) {
    block_q2_K* b = static_cast<block_q2_K*>(blocks);
    const MinFormat f{16, 16, 3, 15, kTs_q2_K, true, 2, 3};
    MinResult r;
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        quantize_super_min<16>(x, f, &r);
        b[ib].d = fp32_to_fp16(r.d);
        b[ib].dmin = fp32_to_fp16(r.dmin);
        for (int g = 0; g < 16; g++) b[ib].scales[g] = uint8_t(r.sc[g] | (r.mn[g] << 4));
        int u[QK_K];
        codes_to_int(r.q, 0, u);
        pack_2bit(u, b[ib].qs);
    }
}

void quantize_row_q3_K(const float* x, void* blocks, int64_t n) {
    block_q3_K* b = static_cast<block_q3_K*>(blocks);
    const SymFormat f{-4, 3, -32, 31, kTs_q3_K, true, 2, 3};
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
        int u[QK_K];
        codes_to_int(r.q, 4, u);
        pack_2bit(u, b[ib].qs);  // low 2 bits
        pack_bit_planes(u, 2, b[ib].hmask);
    }
}

namespace {
void set_high_bits(block_q4_K&, const int*) {}
void set_high_bits(block_q5_K& b, const int* u) { pack_bit_planes(u, 4, b.qh); }

template <typename Block>
void quantize_row_k45(const float* x, Block* b, int64_t n, const MinFormat& f) {
    MinResult r;
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        quantize_super_min<32>(x, f, &r);
        b[ib].d = fp32_to_fp16(r.d);
        b[ib].dmin = fp32_to_fp16(r.dmin);
        pack_scales_k4(r.sc, r.mn, b[ib].scales);
        int u[QK_K];
        codes_to_int(r.q, 0, u);
        // element h * 64 + j (j < 32) in the low nibble of qs[h * 32 + j], element h * 64 + 32 + j high
        for (int h = 0; h < 4; h++)
            for (int j = 0; j < 32; j++)
                b[ib].qs[h * 32 + j] = uint8_t((u[h * 64 + j] & 15) | ((u[h * 64 + 32 + j] & 15) << 4));
        set_high_bits(b[ib], u);
    }
}
}  // namespace

void quantize_row_q4_K(const float* x, void* blocks, int64_t n) {
    const MinFormat f{8, 32, 15, 63, kTs_q4_K, true, 2, 3};
    quantize_row_k45(x, static_cast<block_q4_K*>(blocks), n, f);
}

void quantize_row_q5_K(const float* x, void* blocks, int64_t n) {
    const MinFormat f{8, 32, 31, 63, kTs_q5_K, true, 2, 3};
    quantize_row_k45(x, static_cast<block_q5_K*>(blocks), n, f);
}

void quantize_row_q6_K(const float* x, void* blocks, int64_t n) {
    block_q6_K* b = static_cast<block_q6_K*>(blocks);
    const SymFormat f{-32, 31, -128, 127, kTs_q6_K, true, 2, 3};
    SymKResult r;
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        quantize_super_sym(x, f, &r);
        b[ib].d = fp32_to_fp16(r.d);
        for (int g = 0; g < 16; g++) b[ib].scales[g] = int8_t(r.sc[g]);
        int u[QK_K];
        codes_to_int(r.q, 32, u);
        // element h * 128 + j (j < 64) in the low nibble of ql[h * 64 + j], element h * 128 + 64 + j
        // in its high nibble; the top 2 bits as for Q2_K's codes
        for (int h = 0; h < 2; h++)
            for (int j = 0; j < 64; j++)
                b[ib].ql[h * 64 + j] = uint8_t((u[h * 128 + j] & 15) | ((u[h * 128 + 64 + j] & 15) << 4));
        int hi[QK_K];
        for (int e = 0; e < QK_K; e++) hi[e] = u[e] >> 4;
        pack_2bit(hi, b[ib].qh);
    }
}

void quantize_row_q8_K(const float* x, void* blocks, int64_t n) {
    block_q8_K* b = static_cast<block_q8_K*>(blocks);
    typedef int32_t i4 __attribute__((vector_size(16)));
    const i4 abs_mask = {0x7FFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF};
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        f4 mx = bc4(0.0f);
        for (int e = 0; e < QK_K; e += 4) {
            const f4 a = (f4)((i4)ld4(x + e) & abs_mask);
            mx = vmax4(a, mx);  // NaN is skipped
        }
        const float amax = std::fmax(std::fmax(mx[0], mx[1]), std::fmax(mx[2], mx[3]));
        const float d = std::isfinite(amax) ? amax / 127.0f : 0.0f;
        b[ib].d = d;
        // q = nearest(x / d) in [-127, 127] (the division as in the plain formula; ties to even)
        const f4 vd = bc4(d > 0.0f ? d : 1.0f), vs = bc4(d > 0.0f ? 1.0f : 0.0f);
        const f4 lo = bc4(-127.0f), hi = bc4(127.0f);
        float L[QK_K];
        for (int g = 0; g < QK_K / 16; g++) {
            f4 sum = bc4(0.0f);
            for (int i = g * 16; i < g * 16 + 16; i += 4) {
                const f4 v = round4(clamp4(ld4(x + i) / vd, lo, hi)) * vs;
                st4(L + i, v);
                sum += v;
            }
            b[ib].bsums[g] = int16_t(hsum4(sum));
        }
        for (int e = 0; e < QK_K; e++) b[ib].qs[e] = int8_t(int(L[e]));
    }
}

}  // namespace ggml
