// NEON (AArch64) quantized kernels, written once and compiled twice: by quant_dot_neon.cpp (plain ARMv8: int8
// products widened to int16 with SMULL / SMLAL and added pairwise) and by quant_dot_neon_dotprod.cpp (built with
// +dotprod: SDOT four-product sums). Only the integer dot primitives below differ between the two builds; every
// kernel is shared, and each includer wraps make_table() in its table accessor. The design mirrors
// quant_dot_x86.inl: the same block layouts, the same interleaved (repack.h) and panel (quant_dot.h) formats.
//
// Integer arithmetic is exact. Activation codes are in [-127, 127]; every weight code goes in as int8 (the
// unsigned codes are all below 64, Q8_0's are int8), so one signed product serves every format. Where the plain
// build sums products in int16 lanes, the kernel states the bound that keeps those sums below 2^15.
#include <arm_neon.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "backends/cpu/gemm.h"
#include "backends/cpu/quant_dot.h"
#include "backends/cpu/repack.h"
#include "ggml/quants.h"

#if defined(__ARM_FEATURE_DOTPROD)
#define QD_SDOT 1
#else
#define QD_SDOT 0
#endif

namespace ggml::cpu {
namespace {

// ---- scalar and float helpers ---------------------------------------------------------------------
// fp16 -> fp32 in one FCVT (exact, as fp16_to_fp32, which is an out-of-line portable routine).
inline float h2f(uint16_t h) {
    __fp16 v;
    std::memcpy(&v, &h, 2);
    return float(v);
}
inline float ld_f32(const uint8_t* p) {
    float v;
    std::memcpy(&v, p, 4);
    return v;
}
inline int32_t ld_i32(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
// The 8 fp16 values at p (an interleaved group's d[8] or dmin[8]) as floats: rows 0..3, rows 4..7.
struct Half8 {
    float32x4_t v[2];
    explicit Half8(const uint8_t* p) {
        const float16x8_t h = vreinterpretq_f16_u8(vld1q_u8(p));
        v[0] = vcvt_f32_f16(vget_low_f16(h));
        v[1] = vcvt_high_f32_f16(h);
    }
};
// Two int16 values as one 32-bit word (a low, b high): the pair form of quant_dot.h's Q8_K column panel.
inline int32_t pair16(int a, int b) { return int32_t(uint32_t(uint16_t(int16_t(a))) | (uint32_t(uint16_t(int16_t(b))) << 16)); }
// The pair word w as int16 lanes (a, b, a, b, ...), against per-row (x, y) int16 pairs.
inline int16x8_t pairs(int32_t w) { return vreinterpretq_s16_s32(vdupq_n_s32(w)); }

// Asks for the lines kPrefetchBytes ahead of a decode loop step that reads `step` bytes from p (as the x86
// kernels do: decode streams its weights once, straight from memory).
inline void prefetch_ahead(const void* p, size_t step) {
    for (size_t o = 0; o < step; o += 64) __builtin_prefetch(static_cast<const char*>(p) + kPrefetchBytes + o);
}

inline int8x16_t s8(uint8x16_t v) { return vreinterpretq_s8_u8(v); }
// v >> n per byte for a count known only after unrolling (vshrq_n_u8 needs an immediate at every -O level).
inline uint8x16_t shr_u8(uint8x16_t v, int n) { return vshlq_u8(v, vdupq_n_s8(int8_t(-n))); }

// ---- integer dot primitives (the only code that differs between the two builds) --------------------
// acc plus the 16 products a[i] * b[i], spread over the 4 lanes in an unspecified grouping: for the plain-row
// dots, which only use the lanes' total. |a[i] b[i]| <= 128 x 127, so two products fit one int16 lane.
inline int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if QD_SDOT
    return vdotq_s32(acc, a, b);
#else
    return vpadalq_s16(acc, vmlal_high_s8(vmull_s8(vget_low_s8(a), vget_low_s8(b)), a, b));
#endif
}

// 32-bit word `lane` (0..3) of x in every lane. The lane is a constant once the callers' loops are unrolled;
// the switch keeps every intrinsic's lane an immediate at any optimisation level.
inline int8x16_t dup_word(int8x16_t x, int lane) {
    const int32x4_t v = vreinterpretq_s32_s8(x);
    switch (lane) {
        case 0: return vreinterpretq_s8_s32(vdupq_laneq_s32(v, 0));
        case 1: return vreinterpretq_s8_s32(vdupq_laneq_s32(v, 1));
        case 2: return vreinterpretq_s8_s32(vdupq_laneq_s32(v, 2));
        default: return vreinterpretq_s8_s32(vdupq_laneq_s32(v, 3));
    }
}

// Per-lane sums of four-byte products: add_lane(w, x, l) adds to lane i the products of bytes 4i..4i+3 of w with
// the four bytes of word l of x (one activation word, the same for all lanes). In the interleaved layouts and the
// prefill panels lane i is one weight row, so the rows' dots come out in the lanes.
// SDOT: one int32 accumulator. Plain NEON, kWide false: products summed in int16 byte lanes (SMLAL), reduced per
// word at the end; the caller keeps (number of adds) x max |w x| below 2^15. kWide true: each add widens its
// product pairs into int32 at once (Q8_0, where one product may reach 128 x 127).
template <bool kWide = false>
struct Dot4 {
#if QD_SDOT
    int32x4_t s = vdupq_n_s32(0);
    void add_lane(int8x16_t w, int8x16_t x, int lane) {
        switch (lane) {
            case 0: s = vdotq_laneq_s32(s, w, x, 0); break;
            case 1: s = vdotq_laneq_s32(s, w, x, 1); break;
            case 2: s = vdotq_laneq_s32(s, w, x, 2); break;
            default: s = vdotq_laneq_s32(s, w, x, 3); break;
        }
    }
    int32x4_t sums() const { return s; }
#else
    using Acc = typename std::conditional<kWide, int32x4_t, int16x8_t>::type;
    Acc lo = zero(), hi = zero();  // bytes 0..7 (lanes 0, 1) and 8..15 (lanes 2, 3)
    static Acc zero() {
        if constexpr (kWide) return vdupq_n_s32(0);
        else return vdupq_n_s16(0);
    }
    void add_lane(int8x16_t w, int8x16_t x, int lane) {
        const int8x16_t a = dup_word(x, lane);
        if constexpr (kWide) {
            lo = vpadalq_s16(lo, vmull_s8(vget_low_s8(w), vget_low_s8(a)));
            hi = vpadalq_s16(hi, vmull_high_s8(w, a));
        } else {
            lo = vmlal_s8(lo, vget_low_s8(w), vget_low_s8(a));
            hi = vmlal_high_s8(hi, w, a);
        }
    }
    int32x4_t sums() const {
        if constexpr (kWide) return vpaddq_s32(lo, hi);
        else return vpaddq_s32(vpaddlq_s16(lo), vpaddlq_s16(hi));
    }
#endif
};

// ---- plain-row dot products -------------------------------------------------------------------------
// 16 bytes of nibbles: low nibbles (elements 0..15) and high nibbles (16..31).
struct Nibbles {
    uint8x16_t lo, hi;
    explicit Nibbles(const uint8_t* qs) {
        const uint8x16_t q = vld1q_u8(qs);
        lo = vandq_u8(q, vdupq_n_u8(15));
        hi = vshrq_n_u8(q, 4);
    }
};
// The 32 bits at qh (little-endian) as bytes, 0x10 where the bit is set: bits 0..15 in lo, 16..31 in hi.
struct FifthBits {
    uint8x16_t lo, hi;
    explicit FifthBits(const uint8_t* qh) {
        static const uint8_t kSpread[32] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                            2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
        static const uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
        uint32_t h;
        std::memcpy(&h, qh, 4);
        const uint8x16_t v = vreinterpretq_u8_u32(vdupq_n_u32(h)), bit = vld1q_u8(kBit), b4 = vdupq_n_u8(0x10);
        lo = vandq_u8(vtstq_u8(vqtbl1q_u8(v, vld1q_u8(kSpread)), bit), b4);
        hi = vandq_u8(vtstq_u8(vqtbl1q_u8(v, vld1q_u8(kSpread + 16)), bit), b4);
    }
};

// The int32 lanes (total: the block's integer dot) of a legacy block's 32 codes against y's 32 codes, acc first.
inline int32x4_t dot32(int32x4_t acc, uint8x16_t c0, uint8x16_t c1, const int8_t* y) {
    return dot16(dot16(acc, s8(c0), vld1q_s8(y)), s8(c1), vld1q_s8(y + 16));
}

// The blocks' float terms block(ib, acc) in two accumulators (two independent chains), summed at the end.
template <class BlockFn>
inline float over_blocks(int64_t nb, BlockFn block) {
    float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0;
    int64_t ib = 0;
    for (; ib + 1 < nb; ib += 2) {
        acc0 = block(ib, acc0);
        acc1 = block(ib + 1, acc1);
    }
    if (ib < nb) acc0 = block(ib, acc0);
    return vaddvq_f32(vaddq_f32(acc0, acc1));
}

float dot_q4_0(int64_t n, const void* w, const void* a) {
    const block_q4_0* x = static_cast<const block_q4_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    return over_blocks(n / QK4_0, [&](int64_t ib, float32x4_t acc) {
        const Nibbles q(x[ib].qs);
        const uint8x16_t eight = vdupq_n_u8(8);
        const int32x4_t p = dot32(vdupq_n_s32(0), vsubq_u8(q.lo, eight), vsubq_u8(q.hi, eight), y[ib].qs);
        return vfmaq_n_f32(acc, vcvtq_f32_s32(p), h2f(x[ib].d) * h2f(y[ib].d));
    });
}

// With the activation aux: the unsigned codes straight, the offset (8 or 16) times the block's code sum taken
// off by starting each of the 4 lanes at a quarter of it.
template <bool kFive, class Block>
float dot_aux(int64_t n, const Block* x, const block_q8_0* y, const QActAux* aux) {
    return over_blocks(n / QK8_0, [&](int64_t ib, float32x4_t acc) {
        prefetch_ahead(x + ib, sizeof(Block));
        Nibbles q(x[ib].qs);
        if constexpr (kFive) {
            const FifthBits f(x[ib].qh);
            q.lo = vorrq_u8(q.lo, f.lo), q.hi = vorrq_u8(q.hi, f.hi);
        }
        const int32x4_t p = dot32(vdupq_n_s32(-(kFive ? 4 : 2) * aux[ib].sum), q.lo, q.hi, y[ib].qs);
        return vfmaq_n_f32(acc, vcvtq_f32_s32(p), h2f(x[ib].d) * aux[ib].d);
    });
}
float dot_aux_q4_0(int64_t n, const void* w, const void* a, const QActAux* aux) {
    return dot_aux<false>(n, static_cast<const block_q4_0*>(w), static_cast<const block_q8_0*>(a), aux);
}
float dot_aux_q5_0(int64_t n, const void* w, const void* a, const QActAux* aux) {
    return dot_aux<true>(n, static_cast<const block_q5_0*>(w), static_cast<const block_q8_0*>(a), aux);
}

// Q4_1 / Q5_1 (Q8_1 activations): unsigned codes, plus the min times the activation block's scaled sum.
template <bool kFive, class Block>
float dot_x_1(int64_t n, const Block* x, const block_q8_1* y) {
    float mins = 0.0f;
    const float s = over_blocks(n / QK8_1, [&](int64_t ib, float32x4_t acc) {
        Nibbles q(x[ib].qs);
        if constexpr (kFive) {
            const FifthBits f(x[ib].qh);
            q.lo = vorrq_u8(q.lo, f.lo), q.hi = vorrq_u8(q.hi, f.hi);
        }
        const int32x4_t p = dot32(vdupq_n_s32(0), q.lo, q.hi, y[ib].qs);
        mins += h2f(x[ib].m) * h2f(y[ib].s);
        return vfmaq_n_f32(acc, vcvtq_f32_s32(p), h2f(x[ib].d) * h2f(y[ib].d));
    });
    return s + mins;
}
float dot_q4_1(int64_t n, const void* w, const void* a) {
    return dot_x_1<false>(n, static_cast<const block_q4_1*>(w), static_cast<const block_q8_1*>(a));
}
float dot_q5_1(int64_t n, const void* w, const void* a) {
    return dot_x_1<true>(n, static_cast<const block_q5_1*>(w), static_cast<const block_q8_1*>(a));
}

float dot_q5_0(int64_t n, const void* w, const void* a) {
    const block_q5_0* x = static_cast<const block_q5_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    return over_blocks(n / QK5_0, [&](int64_t ib, float32x4_t acc) {
        const Nibbles q(x[ib].qs);
        const FifthBits f(x[ib].qh);
        const uint8x16_t sixteen = vdupq_n_u8(16);
        const int32x4_t p = dot32(vdupq_n_s32(0), vsubq_u8(vorrq_u8(q.lo, f.lo), sixteen),
                                  vsubq_u8(vorrq_u8(q.hi, f.hi), sixteen), y[ib].qs);
        return vfmaq_n_f32(acc, vcvtq_f32_s32(p), h2f(x[ib].d) * h2f(y[ib].d));
    });
}

float dot_q8_0(int64_t n, const void* w, const void* a) {
    const block_q8_0* x = static_cast<const block_q8_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    return over_blocks(n / QK8_0, [&](int64_t ib, float32x4_t acc) {
        prefetch_ahead(x + ib, sizeof(block_q8_0));
        int32x4_t p = dot16(vdupq_n_s32(0), vld1q_s8(x[ib].qs), vld1q_s8(y[ib].qs));
        p = dot16(p, vld1q_s8(x[ib].qs + 16), vld1q_s8(y[ib].qs + 16));
        return vfmaq_n_f32(acc, vcvtq_f32_s32(p), h2f(x[ib].d) * h2f(y[ib].d));
    });
}

// Q2_K: codes 0..3 (four 2-bit planes of 32 bytes), a 4-bit scale and a 4-bit min per 16 elements; the mins
// meet the activation's 16-element sums (bsums).
float dot_q2_K(int64_t n, const void* w, const void* a) {
    const block_q2_K* x = static_cast<const block_q2_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    const uint8x16_t three = vdupq_n_u8(3);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        const uint8_t* sc = x[ib].scales;
        int32x4_t isum = vdupq_n_s32(0);
        for (int h = 0; h < 2; h++) {
            const uint8x16_t q0 = vld1q_u8(x[ib].qs + 32 * h), q1 = vld1q_u8(x[ib].qs + 32 * h + 16);
#pragma GCC unroll 4
            for (int s = 0; s < 4; s++) {
                const int c = 4 * h + s;  // elements 32c..32c+31: groups 2c, 2c+1
                const int8_t* ay = y[ib].qs + 32 * c;
                const uint8x16_t c0 = vandq_u8(shr_u8(q0, 2 * s), three), c1 = vandq_u8(shr_u8(q1, 2 * s), three);
                isum = vmlaq_n_s32(isum, dot16(vdupq_n_s32(0), s8(c0), vld1q_s8(ay)), sc[2 * c] & 15);
                isum = vmlaq_n_s32(isum, dot16(vdupq_n_s32(0), s8(c1), vld1q_s8(ay + 16)), sc[2 * c + 1] & 15);
            }
        }
        const uint8x16_t mn = vshrq_n_u8(vld1q_u8(sc), 4);
        const int16x8_t m0 = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(mn))), m1 = vreinterpretq_s16_u16(vmovl_high_u8(mn));
        const int16x8_t b0 = vld1q_s16(y[ib].bsums), b1 = vld1q_s16(y[ib].bsums + 8);
        int32x4_t im = vmull_s16(vget_low_s16(m0), vget_low_s16(b0));
        im = vmlal_high_s16(im, m0, b0);
        im = vmlal_s16(im, vget_low_s16(m1), vget_low_s16(b1));
        im = vmlal_high_s16(im, m1, b1);
        sum += y[ib].d * (h2f(x[ib].d) * float(vaddvq_s32(isum)) - h2f(x[ib].dmin) * float(vaddvq_s32(im)));
    }
    return sum;
}

// Q3_K: codes (2 low bits, high bit from hmask) - 4 in [-4, 3] as int8, signed 6-bit scales per 16 elements.
float dot_q3_K(int64_t n, const void* w, const void* a) {
    const block_q3_K* x = static_cast<const block_q3_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    const uint8x16_t three = vdupq_n_u8(3), four = vdupq_n_u8(4);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        const uint8_t* s = x[ib].scales;
        int sc[16];
        for (int g = 0; g < 16; g++) {
            const int lo = g < 8 ? (s[g] & 15) : (s[g - 8] >> 4);
            const int hi = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
            sc[g] = (lo | (hi << 4)) - 32;
        }
        const uint8x16_t hm0 = vld1q_u8(x[ib].hmask), hm1 = vld1q_u8(x[ib].hmask + 16);
        int32x4_t isum = vdupq_n_s32(0);
        for (int h = 0; h < 2; h++) {
            const uint8x16_t q0 = vld1q_u8(x[ib].qs + 32 * h), q1 = vld1q_u8(x[ib].qs + 32 * h + 16);
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                const int c = 4 * h + j;  // elements 32c..32c+31, high bits: bit c of hmask
                const uint8x16_t bit = vdupq_n_u8(uint8_t(1 << c));
                // code - 4 = low bits - 4 where the high bit is clear
                const uint8x16_t c0 = vsubq_u8(vandq_u8(shr_u8(q0, 2 * j), three), vbicq_u8(four, vtstq_u8(hm0, bit)));
                const uint8x16_t c1 = vsubq_u8(vandq_u8(shr_u8(q1, 2 * j), three), vbicq_u8(four, vtstq_u8(hm1, bit)));
                const int8_t* ay = y[ib].qs + 32 * c;
                isum = vmlaq_n_s32(isum, dot16(vdupq_n_s32(0), s8(c0), vld1q_s8(ay)), sc[2 * c]);
                isum = vmlaq_n_s32(isum, dot16(vdupq_n_s32(0), s8(c1), vld1q_s8(ay + 16)), sc[2 * c + 1]);
            }
        }
        sum += y[ib].d * h2f(x[ib].d) * float(vaddvq_s32(isum));
    }
    return sum;
}

// The 8 scales (sm[0..7]) and 8 mins (sm[8..15]) of a Q4_K / Q5_K super-block, from the packed 12 bytes with
// 32-bit word operations (4 sub-blocks per word, little-endian).
inline void scales_mins_k4(const uint8_t* s, uint8_t* sm) {
    uint32_t u[3];
    std::memcpy(u, s, 12);
    const uint32_t v[4] = {u[0] & 0x3f3f3f3f, (u[2] & 0x0f0f0f0f) | (((u[0] >> 6) & 0x03030303) << 4),
                           u[1] & 0x3f3f3f3f, ((u[2] >> 4) & 0x0f0f0f0f) | (((u[1] >> 6) & 0x03030303) << 4)};
    std::memcpy(sm, v, 16);
}

template <bool kFive, class Block>
float dot_k45(int64_t n, const Block* x, const block_q8_K* y) {
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        prefetch_ahead(x + ib, sizeof(Block));
        uint8_t sm[16];
        scales_mins_k4(x[ib].scales, sm);
        uint8x16_t qh0 = vdupq_n_u8(0), qh1 = qh0;
        if constexpr (kFive) qh0 = vld1q_u8(x[ib].qh), qh1 = vld1q_u8(x[ib].qh + 16);
        int32x4_t isum = vdupq_n_s32(0);
#pragma GCC unroll 4
        for (int p = 0; p < 4; p++) {  // groups 2p (low nibbles) and 2p + 1 (high nibbles)
            Nibbles a(x[ib].qs + 32 * p), b(x[ib].qs + 32 * p + 16);  // elements 0..15, 16..31 of the 32 bytes
            if constexpr (kFive) {
                const uint8x16_t lo_bit = vdupq_n_u8(uint8_t(1 << (2 * p))), hi_bit = vdupq_n_u8(uint8_t(2 << (2 * p)));
                const uint8x16_t b4 = vdupq_n_u8(0x10);
                a.lo = vorrq_u8(a.lo, vandq_u8(vtstq_u8(qh0, lo_bit), b4));
                b.lo = vorrq_u8(b.lo, vandq_u8(vtstq_u8(qh1, lo_bit), b4));
                a.hi = vorrq_u8(a.hi, vandq_u8(vtstq_u8(qh0, hi_bit), b4));
                b.hi = vorrq_u8(b.hi, vandq_u8(vtstq_u8(qh1, hi_bit), b4));
            }
            const int8_t* ay = y[ib].qs + 64 * p;
            isum = vmlaq_n_s32(isum, dot32(vdupq_n_s32(0), a.lo, b.lo, ay), sm[2 * p]);
            isum = vmlaq_n_s32(isum, dot32(vdupq_n_s32(0), a.hi, b.hi, ay + 32), sm[2 * p + 1]);
        }
        // group g's min times bsums[2g] + bsums[2g + 1] (|pair sum| <= 2 x 16 x 127: int16)
        const int16x8_t bs = vpaddq_s16(vld1q_s16(y[ib].bsums), vld1q_s16(y[ib].bsums + 8));
        const int16x8_t mn = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(sm + 8)));
        const int32x4_t im = vmlal_high_s16(vmull_s16(vget_low_s16(mn), vget_low_s16(bs)), mn, bs);
        sum += y[ib].d * (h2f(x[ib].d) * float(vaddvq_s32(isum)) - h2f(x[ib].dmin) * float(vaddvq_s32(im)));
    }
    return sum;
}
float dot_q4_K(int64_t n, const void* w, const void* a) {
    return dot_k45<false>(n, static_cast<const block_q4_K*>(w), static_cast<const block_q8_K*>(a));
}
float dot_q5_K(int64_t n, const void* w, const void* a) {
    return dot_k45<true>(n, static_cast<const block_q5_K*>(w), static_cast<const block_q8_K*>(a));
}

// Q6_K: codes (4 low bits from ql, 2 high bits from qh) - 32 in [-32, 31] as int8, int8 scales per 16 elements.
float dot_q6_K(int64_t n, const void* w, const void* a) {
    const block_q6_K* x = static_cast<const block_q6_K*>(w);
    const block_q8_K* y = static_cast<const block_q8_K*>(a);
    const uint8x16_t m4 = vdupq_n_u8(15), three = vdupq_n_u8(3);
    const int8x16_t off = vdupq_n_s8(32);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / QK_K; ib++) {
        prefetch_ahead(x + ib, sizeof(block_q6_K));
        const int8_t* sc = x[ib].scales;
        int32x4_t isum = vdupq_n_s32(0);
        for (int h = 0; h < 2; h++) {  // elements 128h..128h+127
            const uint8_t* ql = x[ib].ql + 64 * h;
            const uint8x16_t l0 = vld1q_u8(ql), l1 = vld1q_u8(ql + 16), l2 = vld1q_u8(ql + 32), l3 = vld1q_u8(ql + 48);
            const uint8x16_t h0 = vld1q_u8(x[ib].qh + 32 * h), h1 = vld1q_u8(x[ib].qh + 32 * h + 16);
            // chunk j (elements 32j..32j+31 of the half): low nibbles of ql[0..31], of ql[32..63], then the high
            // nibbles of the same; high bits at 2j of qh[0..31]
            const uint8x16_t lows[4][2] = {{vandq_u8(l0, m4), vandq_u8(l1, m4)},
                                           {vandq_u8(l2, m4), vandq_u8(l3, m4)},
                                           {vshrq_n_u8(l0, 4), vshrq_n_u8(l1, 4)},
                                           {vshrq_n_u8(l2, 4), vshrq_n_u8(l3, 4)}};
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                const int c = 4 * h + j;
                const uint8x16_t hi0 = vshlq_n_u8(vandq_u8(shr_u8(h0, 2 * j), three), 4);
                const uint8x16_t hi1 = vshlq_n_u8(vandq_u8(shr_u8(h1, 2 * j), three), 4);
                const int8x16_t c0 = vsubq_s8(s8(vorrq_u8(lows[j][0], hi0)), off);
                const int8x16_t c1 = vsubq_s8(s8(vorrq_u8(lows[j][1], hi1)), off);
                const int8_t* ay = y[ib].qs + 32 * c;
                isum = vmlaq_n_s32(isum, dot16(vdupq_n_s32(0), c0, vld1q_s8(ay)), sc[2 * c]);
                isum = vmlaq_n_s32(isum, dot16(vdupq_n_s32(0), c1, vld1q_s8(ay + 16)), sc[2 * c + 1]);
            }
        }
        sum += y[ib].d * h2f(x[ib].d) * float(vaddvq_s32(isum));
    }
    return sum;
}

// ---- activation quantizers (bit-identical to the scalar ones) ---------------------------------------
// max |x| of 32 floats (maxNum, as std::fmax).
inline float amax32(const float* x) {
    float32x4_t m[4];
    for (int k = 0; k < 4; k++) m[k] = vmaxnmq_f32(vabsq_f32(vld1q_f32(x + 4 * k)), vabsq_f32(vld1q_f32(x + 16 + 4 * k)));
    return vmaxnmvq_f32(vmaxnmq_f32(vmaxnmq_f32(m[0], m[1]), vmaxnmq_f32(m[2], m[3])));
}
// 16 floats -> 16 int8 codes at q: x * id rounded to nearest even (as std::nearbyint), |code| <= 127 so the
// saturating narrows never saturate. Returns the codes' sum spread over 4 int32 lanes.
inline int32x4_t quant16(const float* x, float id, int8_t* q) {
    int32x4_t i[4];
    for (int k = 0; k < 4; k++) i[k] = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + 4 * k), id));
    const int16x8_t h0 = vcombine_s16(vqmovn_s32(i[0]), vqmovn_s32(i[1]));
    const int16x8_t h1 = vcombine_s16(vqmovn_s32(i[2]), vqmovn_s32(i[3]));
    vst1q_s8(q, vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1)));
    return vaddq_s32(vaddq_s32(i[0], i[1]), vaddq_s32(i[2], i[3]));
}

void act_q8_0(const float* x, void* yv, int64_t n) {
    block_q8_0* y = static_cast<block_q8_0*>(yv);
    for (int64_t ib = 0; ib < n / QK8_0; ib++, x += QK8_0) {
        const float d = amax32(x) / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        y[ib].d = fp32_to_fp16(d);
        quant16(x, id, y[ib].qs);
        quant16(x + 16, id, y[ib].qs + 16);
    }
}

void act_q8_1(const float* x, void* yv, int64_t n) {
    block_q8_1* y = static_cast<block_q8_1*>(yv);
    for (int64_t ib = 0; ib < n / QK8_1; ib++, x += QK8_1) {
        const float d = amax32(x) / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        const int sum = vaddvq_s32(vaddq_s32(quant16(x, id, y[ib].qs), quant16(x + 16, id, y[ib].qs + 16)));
        y[ib].d = fp32_to_fp16(d);
        y[ib].s = fp32_to_fp16(fp16_to_fp32(y[ib].d) * float(sum));
    }
}

void act_q8_K(const float* x, void* yv, int64_t n) {
    block_q8_K* y = static_cast<block_q8_K*>(yv);
    for (int64_t ib = 0; ib < n / QK_K; ib++, x += QK_K) {
        float amax = 0.0f;
        for (int c = 0; c < 8; c++) amax = std::max(amax, amax32(x + 32 * c));
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        y[ib].d = d;
        for (int g = 0; g < 16; g++) y[ib].bsums[g] = int16_t(vaddvq_s32(quant16(x + 16 * g, id, y[ib].qs + 16 * g)));
    }
}

// ---- interleaved decode (repack.h): 8 rows per group, lane r % 4 of vector r / 4 belongs to row r -----
// One kernel per type serves dot_r8 (one activation row, read in its own block format) and dot_r8_cols (a
// column panel of NC rows, quant_dot.h): the Act classes below give both the same view, so every column gets the
// same float operations in the same order on the same exact integer sums, and the two entries agree bit for bit.
//
// Act view: per block ib, codes(ib) holds the block's activation words flat, word w of column c at 32-bit index
// w * NC + c (the row formats are the NC = 1 case); the kernels load them as whole vectors of 4 words and pick
// word f as lane f % 4 of vector f / 4.
struct RowQ8_0 {  // one Q8_0 row and its aux (the aux is read by the Q4_0 / Q5_0 kernels only)
    static constexpr int kCols = 1;
    const block_q8_0* y;
    const QActAux* aux;
    const int8_t* codes(int64_t ib) const { return y[ib].qs; }
    float d(int64_t ib, int) const { return h2f(y[ib].d); }
    int32_t sum(int64_t ib, int) const { return aux[ib].sum; }
};
template <int NC>
struct PanelQ8_0 {  // per block: codes [word 0..7][column][4], float d[NC], int32 sum[NC]
    static constexpr int kCols = NC;
    const uint8_t* p;
    const uint8_t* at(int64_t ib) const { return p + size_t(ib) * 40 * NC; }
    const int8_t* codes(int64_t ib) const { return reinterpret_cast<const int8_t*>(at(ib)); }
    float d(int64_t ib, int c) const { return ld_f32(at(ib) + 32 * NC + 4 * c); }
    int32_t sum(int64_t ib, int c) const { return ld_i32(at(ib) + 36 * NC + 4 * c); }
};
struct RowQ8_K {  // one Q8_K row
    static constexpr int kCols = 1;
    const block_q8_K* y;
    const int8_t* codes(int64_t ib) const { return y[ib].qs; }
    float d(int64_t ib, int) const { return y[ib].d; }
    // (bsums[2s], bsums[2s + 1]): the 16-element sums of sub-block s (Q6_K)
    int32_t pair6(int64_t ib, int s, int) const { return pair16(y[ib].bsums[2 * s], y[ib].bsums[2 * s + 1]); }
    // the 32-element sums of sub-blocks 2p and 2p + 1 (Q4_K)
    int32_t pair4(int64_t ib, int p, int) const {
        const int16_t* b = y[ib].bsums + 4 * p;
        return pair16(b[0] + b[1], b[2] + b[3]);
    }
};
template <int NC>
struct PanelQ8_K {  // per super-block: codes [word 0..63][column][4], float d[NC], int32 pair6[8][NC], pair4[4][NC]
    static constexpr int kCols = NC;
    const uint8_t* p;
    const uint8_t* at(int64_t ib) const { return p + size_t(ib) * 308 * NC; }
    const int8_t* codes(int64_t ib) const { return reinterpret_cast<const int8_t*>(at(ib)); }
    float d(int64_t ib, int c) const { return ld_f32(at(ib) + 256 * NC + 4 * c); }
    int32_t pair6(int64_t ib, int s, int c) const { return ld_i32(at(ib) + 260 * NC + 4 * (s * NC + c)); }
    int32_t pair4(int64_t ib, int p4, int c) const { return ld_i32(at(ib) + 292 * NC + 4 * (p4 * NC + c)); }
};

// The activation words of 32 elements (8 words x NC columns, 2 NC vectors) from codes, and column c's word w.
template <int NC>
struct ActWords {
    int8x16_t v[2 * NC];
    explicit ActWords(const int8_t* codes) {
        for (int i = 0; i < 2 * NC; i++) v[i] = vld1q_s8(codes + 16 * i);
    }
    // Dot4::add_lane arguments: the vector and lane of word w of column c
    int8x16_t vec(int w, int c) const { return v[(w * NC + c) / 4]; }
    static int lane(int w, int c) { return (w * NC + c) % 4; }
};

// The 8 rows' unsigned-code dots over one 32-element block of 128 interleaved nibble bytes q (Q4_0 layout: vector
// j's low nibbles pair with word 2j, its high nibbles with word 2j + 1) for NC columns, into d[c][0..1] (rows 0-3,
// 4-7). HighBits(j, h, &lo, &hi) ORs bits above the nibbles into the codes (Q5_0's fifth bit). Plain NEON: 8 adds
// of codes < 32 (x 127) per int16 lane, below 2^15.
template <int NC, class HighBits>
inline void nibble_block(const uint8_t* q, const ActWords<NC>& a, Dot4<> (*d)[2], HighBits high) {
    const uint8x16_t m4 = vdupq_n_u8(15);
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            const uint8x16_t v = vld1q_u8(q + 32 * j + 16 * h);
            uint8x16_t lo = vandq_u8(v, m4), hi = vshrq_n_u8(v, 4);
            high(j, h, &lo, &hi);
#pragma GCC unroll 8
            for (int c = 0; c < NC; c++) {
                d[c][h].add_lane(s8(lo), a.vec(2 * j, c), a.lane(2 * j, c));
                d[c][h].add_lane(s8(hi), a.vec(2 * j + 1, c), a.lane(2 * j + 1, c));
            }
        }
    }
}
struct NoHighBits {
    void operator()(int, int, uint8x16_t*, uint8x16_t*) const {}
};

// Q4_0 (kFive false) and Q5_0: unsigned codes (Q5_0's fifth bit ORed in from its plane: byte [row][i] holds the
// bits of vector j's codes at bits 2j, 2j + 1), the offset (8 or 16) times the column's code sum off in int32.
template <bool kFive, class Act>
void r8_q45_0(int64_t n, const uint8_t* g, const Act& act, float* out, int64_t os) {
    constexpr int NC = Act::kCols;
    constexpr size_t kGB = kFive ? kQ5_0GroupBytes : kQ4_0GroupBytes;
    float32x4_t acc[NC][2];
    for (int c = 0; c < NC; c++) acc[c][0] = acc[c][1] = vdupq_n_f32(0.0f);
    for (int64_t ib = 0; ib < n / QK8_0; ib++, g += kGB) {
        prefetch_ahead(g, kGB);
        const ActWords<NC> a(act.codes(ib));
        Dot4<> d[NC][2];
        if constexpr (kFive) {
            const uint8x16_t fb[2] = {vld1q_u8(g + 144), vld1q_u8(g + 160)}, b4 = vdupq_n_u8(0x10);
            nibble_block<NC>(g + 16, a, d, [&](int j, int h, uint8x16_t* lo, uint8x16_t* hi) {
                *lo = vorrq_u8(*lo, vandq_u8(vtstq_u8(fb[h], vdupq_n_u8(uint8_t(1 << (2 * j)))), b4));
                *hi = vorrq_u8(*hi, vandq_u8(vtstq_u8(fb[h], vdupq_n_u8(uint8_t(2 << (2 * j)))), b4));
            });
        } else {
            nibble_block<NC>(g + 16, a, d, NoHighBits());
        }
        const Half8 hd(g);
#pragma GCC unroll 8
        for (int c = 0; c < NC; c++) {
            const int32x4_t off = vdupq_n_s32((kFive ? 16 : 8) * act.sum(ib, c));
            const float da = act.d(ib, c);
            for (int h = 0; h < 2; h++) {
                const int32x4_t p = vsubq_s32(d[c][h].sums(), off);
                acc[c][h] = vfmaq_f32(acc[c][h], vcvtq_f32_s32(p), vmulq_n_f32(hd.v[h], da));
            }
        }
    }
    for (int c = 0; c < NC; c++) vst1q_f32(out + c * os, acc[c][0]), vst1q_f32(out + c * os + 4, acc[c][1]);
}

// Q8_0: int8 codes straight (8 code vectors of [row][4] per block), one product pair per int32 lane at a time
// in the plain build (Dot4<true>).
template <class Act>
void r8_q8_0(int64_t n, const uint8_t* g, const Act& act, float* out, int64_t os) {
    constexpr int NC = Act::kCols;
    float32x4_t acc[NC][2];
    for (int c = 0; c < NC; c++) acc[c][0] = acc[c][1] = vdupq_n_f32(0.0f);
    for (int64_t ib = 0; ib < n / QK8_0; ib++, g += kQ8_0GroupBytes) {
        prefetch_ahead(g, kQ8_0GroupBytes);
        const ActWords<NC> a(act.codes(ib));
        Dot4<true> d[NC][2];
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) {
                const int8x16_t v = vld1q_s8(reinterpret_cast<const int8_t*>(g + 16 + 32 * j + 16 * h));
#pragma GCC unroll 8
                for (int c = 0; c < NC; c++) d[c][h].add_lane(v, a.vec(j, c), a.lane(j, c));
            }
        }
        const Half8 hd(g);
#pragma GCC unroll 8
        for (int c = 0; c < NC; c++) {
            const float da = act.d(ib, c);
            for (int h = 0; h < 2; h++)
                acc[c][h] = vfmaq_f32(acc[c][h], vcvtq_f32_s32(d[c][h].sums()), vmulq_n_f32(hd.v[h], da));
        }
    }
    for (int c = 0; c < NC; c++) vst1q_f32(out + c * os, acc[c][0]), vst1q_f32(out + c * os + 4, acc[c][1]);
}

// The 8 rows' unsigned bytes at p as int32 (rows 0-3, 4-7): Q4_K's sub-block scales.
struct U8x8 {
    int32x4_t v[2];
    explicit U8x8(const uint8_t* p) {
        const uint16x8_t w = vmovl_u8(vld1_u8(p));
        v[0] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(w)));
        v[1] = vreinterpretq_s32_u32(vmovl_high_u16(w));
    }
};

// Q4_K: per sub-block a Q4_0-like dot times the rows' byte scales; the mins (bytes [pair][row][2]) meet the
// column's 32-element sums as int16 pairs.
template <class Act>
void r8_q4_K(int64_t n, const uint8_t* g, const Act& act, float* out, int64_t os) {
    constexpr int NC = Act::kCols;
    float32x4_t acc[NC][2];
    for (int c = 0; c < NC; c++) acc[c][0] = acc[c][1] = vdupq_n_f32(0.0f);
    for (int64_t ib = 0; ib < n / QK_K; ib++, g += kQ4_KGroupBytes) {
        const uint8_t* gsc = g + 32;
        const uint8_t* gmn = gsc + 64;
        const uint8_t* gq = gmn + 64;
        int32x4_t isum[NC][2];
        for (int c = 0; c < NC; c++) isum[c][0] = isum[c][1] = vdupq_n_s32(0);
        for (int s = 0; s < 8; s++) {
            prefetch_ahead(g + kQ4_KGroupBytes / 8 * s, kQ4_KGroupBytes / 8);
            const ActWords<NC> a(act.codes(ib) + 32 * s * NC);  // sub-block s: words 8s..8s+7
            Dot4<> d[NC][2];
            nibble_block<NC>(gq + 128 * s, a, d, NoHighBits());
            const U8x8 sc(gsc + 8 * s);
#pragma GCC unroll 8
            for (int c = 0; c < NC; c++)
                for (int h = 0; h < 2; h++) isum[c][h] = vmlaq_s32(isum[c][h], d[c][h].sums(), sc.v[h]);
        }
        int16x8_t mn[4][2];  // rows 4h..4h+3 of pair p: (min 2p, min 2p + 1) per row, as int16
        for (int p = 0; p < 4; p++) {
            const uint8x16_t m = vld1q_u8(gmn + 16 * p);
            mn[p][0] = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(m)));
            mn[p][1] = vreinterpretq_s16_u16(vmovl_high_u8(m));
        }
        const Half8 hd(g), hm(g + 16);
#pragma GCC unroll 8
        for (int c = 0; c < NC; c++) {
            const float da = act.d(ib, c);
            for (int h = 0; h < 2; h++) {
                int32x4_t ml = vdupq_n_s32(0), mh = ml;  // rows (4h, 4h+1) and (4h+2, 4h+3), one product per lane
                for (int p = 0; p < 4; p++) {
                    const int16x8_t pv = pairs(act.pair4(ib, p, c));
                    ml = vmlal_s16(ml, vget_low_s16(mn[p][h]), vget_low_s16(pv));
                    mh = vmlal_high_s16(mh, mn[p][h], pv);
                }
                const int32x4_t imin = vpaddq_s32(ml, mh);
                acc[c][h] = vfmaq_f32(acc[c][h], vcvtq_f32_s32(isum[c][h]), vmulq_n_f32(hd.v[h], da));
                acc[c][h] = vfmsq_f32(acc[c][h], vcvtq_f32_s32(imin), vmulq_n_f32(hm.v[h], da));
            }
        }
    }
    for (int c = 0; c < NC; c++) vst1q_f32(out + c * os, acc[c][0]), vst1q_f32(out + c * os + 4, acc[c][1]);
}

// Q6_K: codes 0..63 (low nibbles as Q4_0's, high bits from their own plane: vector t's byte holds those of code
// vectors j = 2t, 2t + 1 at bits 4(j - 2t) and 4(j - 2t) + 2), int8 scales per 16 elements (a sub-block's two
// halves: j = 0, 1 and j = 2, 3). The codes go in with their -32 offset, as int8: the subtraction is done once
// per weight vector for all columns, where taking the offset off through the activation sums would hold two more
// accumulators per column. Plain NEON: 4 adds of |code| <= 32 (x 127) per int16 lane, below 2^15.
template <class Act>
void r8_q6_K(int64_t n, const uint8_t* g, const Act& act, float* out, int64_t os) {
    constexpr int NC = Act::kCols;
    const uint8x16_t m4 = vdupq_n_u8(15), m30 = vdupq_n_u8(0x30), off = vdupq_n_u8(32);
    float32x4_t acc[NC][2];
    for (int c = 0; c < NC; c++) acc[c][0] = acc[c][1] = vdupq_n_f32(0.0f);
    for (int64_t ib = 0; ib < n / QK_K; ib++, g += kQ6_KGroupBytes) {
        int32x4_t isum[NC][2];
        for (int c = 0; c < NC; c++) isum[c][0] = isum[c][1] = vdupq_n_s32(0);
        for (int s = 0; s < 8; s++) {
            const uint8_t* q = g + 144 + 192 * s;
            prefetch_ahead(g + kQ6_KGroupBytes / 8 * s, kQ6_KGroupBytes / 8);
            // scale bytes [row][half] -> each half's scales of rows 0-3, 4-7 as int32
            const int8x16_t sc8 = vld1q_s8(reinterpret_cast<const int8_t*>(g + 16 + 16 * s));
            const int8x16_t s_even = vuzp1q_s8(sc8, sc8), s_odd = vuzp2q_s8(sc8, sc8);  // halves 0, 1 in bytes 0..7
            const int16x8_t h0 = vmovl_s8(vget_low_s8(s_even)), h1 = vmovl_s8(vget_low_s8(s_odd));
            const int32x4_t sch[2][2] = {{vmovl_s16(vget_low_s16(h0)), vmovl_high_s16(h0)},
                                         {vmovl_s16(vget_low_s16(h1)), vmovl_high_s16(h1)}};
            const ActWords<NC> a(act.codes(ib) + 32 * s * NC);
#pragma GCC unroll 2
            for (int t = 0; t < 2; t++) {
                Dot4<> d[NC][2];
#pragma GCC unroll 2
                for (int h = 0; h < 2; h++) {
                    const uint8x16_t hb = vld1q_u8(q + 128 + 32 * t + 16 * h);
                    const uint8x16_t v0 = vld1q_u8(q + 64 * t + 16 * h), v1 = vld1q_u8(q + 64 * t + 32 + 16 * h);
                    const int8x16_t c00 = s8(vsubq_u8(vorrq_u8(vandq_u8(v0, m4), vandq_u8(vshlq_n_u8(hb, 4), m30)), off));
                    const int8x16_t c01 = s8(vsubq_u8(vorrq_u8(vshrq_n_u8(v0, 4), vandq_u8(vshlq_n_u8(hb, 2), m30)), off));
                    const int8x16_t c10 = s8(vsubq_u8(vorrq_u8(vandq_u8(v1, m4), vandq_u8(hb, m30)), off));
                    const int8x16_t c11 = s8(vsubq_u8(vorrq_u8(vshrq_n_u8(v1, 4), vandq_u8(vshrq_n_u8(hb, 2), m30)), off));
                    const int j = 2 * t;  // c00 / c01: words 2j, 2j + 1; c10 / c11: words 2j + 2, 2j + 3
#pragma GCC unroll 8
                    for (int c = 0; c < NC; c++) {
                        d[c][h].add_lane(c00, a.vec(2 * j, c), a.lane(2 * j, c));
                        d[c][h].add_lane(c01, a.vec(2 * j + 1, c), a.lane(2 * j + 1, c));
                        d[c][h].add_lane(c10, a.vec(2 * j + 2, c), a.lane(2 * j + 2, c));
                        d[c][h].add_lane(c11, a.vec(2 * j + 3, c), a.lane(2 * j + 3, c));
                    }
                }
#pragma GCC unroll 8
                for (int c = 0; c < NC; c++)
                    for (int h = 0; h < 2; h++) isum[c][h] = vmlaq_s32(isum[c][h], d[c][h].sums(), sch[t][h]);
            }
        }
        const Half8 hd(g);
#pragma GCC unroll 8
        for (int c = 0; c < NC; c++) {
            const float da = act.d(ib, c);
            for (int h = 0; h < 2; h++)
                acc[c][h] = vfmaq_f32(acc[c][h], vcvtq_f32_s32(isum[c][h]), vmulq_n_f32(hd.v[h], da));
        }
    }
    for (int c = 0; c < NC; c++) vst1q_f32(out + c * os, acc[c][0]), vst1q_f32(out + c * os + 4, acc[c][1]);
}

void dot_r8_q4_0(int64_t n, const void* w, const void* a, const QActAux* aux, float* out) {
    r8_q45_0<false>(n, static_cast<const uint8_t*>(w), RowQ8_0{static_cast<const block_q8_0*>(a), aux}, out, 0);
}
void dot_r8_q5_0(int64_t n, const void* w, const void* a, const QActAux* aux, float* out) {
    r8_q45_0<true>(n, static_cast<const uint8_t*>(w), RowQ8_0{static_cast<const block_q8_0*>(a), aux}, out, 0);
}
void dot_r8_q8_0(int64_t n, const void* w, const void* a, const QActAux* aux, float* out) {
    r8_q8_0(n, static_cast<const uint8_t*>(w), RowQ8_0{static_cast<const block_q8_0*>(a), aux}, out, 0);
}
void dot_r8_q4_K(int64_t n, const void* w, const void* a, const QActAux*, float* out) {
    r8_q4_K(n, static_cast<const uint8_t*>(w), RowQ8_K{static_cast<const block_q8_K*>(a)}, out, 0);
}
void dot_r8_q6_K(int64_t n, const void* w, const void* a, const QActAux*, float* out) {
    r8_q6_K(n, static_cast<const uint8_t*>(w), RowQ8_K{static_cast<const block_q8_K*>(a)}, out, 0);
}

// ---- interleaved decode, several activation rows at once ------------------------------------------
// SDOT: four columns per pass (one panel vector holds one word of 4 columns, the lane form takes each column's
// word from it; the columns' int and float accumulators, 16 vectors, leave room for the weight codes in the 32
// registers). Plain NEON: two, as each column's int16 accumulators take twice the registers.
constexpr int kR8Cols = QD_SDOT ? 4 : 2;

template <class K>
void dot_r8_cols(int64_t n, const void* w, const void* panel, int ncols, float* out, int64_t os) {
    const uint8_t* g = static_cast<const uint8_t*>(w);
    const uint8_t* p = static_cast<const uint8_t*>(panel);
    if constexpr (kR8Cols == 2) {
        if (ncols == 1) return K::template run<1>(n, g, p, out, os);
        return K::template run<2>(n, g, p, out, os);
    } else {
        switch (ncols) {
            case 1: return K::template run<1>(n, g, p, out, os);
            case 2: return K::template run<2>(n, g, p, out, os);
            case 3: return K::template run<3>(n, g, p, out, os);
            default: return K::template run<4>(n, g, p, out, os);
        }
    }
}
template <bool kFive>
struct ColsQ45_0 {
    template <int NC>
    static void run(int64_t n, const uint8_t* g, const uint8_t* p, float* out, int64_t os) {
        r8_q45_0<kFive>(n, g, PanelQ8_0<NC>{p}, out, os);
    }
};
struct ColsQ8_0 {
    template <int NC>
    static void run(int64_t n, const uint8_t* g, const uint8_t* p, float* out, int64_t os) {
        r8_q8_0(n, g, PanelQ8_0<NC>{p}, out, os);
    }
};
struct ColsQ4_K {
    template <int NC>
    static void run(int64_t n, const uint8_t* g, const uint8_t* p, float* out, int64_t os) {
        r8_q4_K(n, g, PanelQ8_K<NC>{p}, out, os);
    }
};
struct ColsQ6_K {
    template <int NC>
    static void run(int64_t n, const uint8_t* g, const uint8_t* p, float* out, int64_t os) {
        r8_q6_K(n, g, PanelQ8_K<NC>{p}, out, os);
    }
};

// ---- the packed micro-kernel (prefill): one 8-row weight panel x kRows activation rows ----------------
// Per chunk and step (4 k), the panel's two code vectors (rows 0-3, 4-7) meet each activation row's word of
// that step (a lane of the row's code vectors): four-product sums into int32 (SDOT lane form) or int16 (plain)
// accumulators. The float epilogue per chunk is the scalar kernel's, operation for operation. SDOT takes all 4
// activation rows at once; plain NEON, whose int16 accumulators take twice the registers, 2 at a time (the weight
// panel block, kKC chunks, is re-read from L1). A 16-row call runs the two panels one after the other.
// Plain NEON bounds per int16 lane: U4 / U8 planes 8 x 15 x 127, U5 8 x 31 x 127, H kinds per half chunk 4 x 63 x
// 127: all below 2^15.
constexpr int kGemmRows = QD_SDOT ? 4 : 2;

// Activation rows [j0, j0 + kRows) of the panel (rows past ncols computed but not stored).
template <QKind kKind, int kRows>
void gemm_rows(int64_t nchunks, const uint8_t* wp, const uint8_t* ap, int j0, float* c, int64_t ldc, int mrows,
               int ncols, bool accumulate) {
    constexpr int kPlanes = kKind == QKind::U8 ? 2 : 1;
    constexpr bool kHalf = kKind == QKind::H2 || kKind == QKind::H3 || kKind == QKind::H6;
    constexpr size_t kCB = kPlanes * 256 + 96 + (kHalf ? 64 : 0);
    float32x4_t acc[kRows][2];
    for (int j = 0; j < kRows; j++) acc[j][0] = acc[j][1] = vdupq_n_f32(0.0f);
    for (int64_t ch = 0; ch < nchunks; ch++, wp += kCB, ap += kQActChunkBytes) {
        const float* da = reinterpret_cast<const float*>(ap + 128) + j0;  // da[4], sa[2][4], sa0 + sa1 [4]
        int8x16_t av[kRows][2];  // row j0 + j's codes: steps 0..3, 4..7
        for (int j = 0; j < kRows; j++)
            for (int k = 0; k < 2; k++) av[j][k] = vld1q_s8(reinterpret_cast<const int8_t*>(ap + 32 * (j0 + j) + 16 * k));
        int32x4_t isum[kRows][2];
        if constexpr (kHalf) {
            const int32_t* sc = reinterpret_cast<const int32_t*>(wp + 256 + 96);  // int16 scale in the low half
#pragma GCC unroll 2
            for (int t = 0; t < 2; t++) {
                Dot4<> d[kRows][2];
#pragma GCC unroll 4
                for (int st = 4 * t; st < 4 * t + 4; st++) {
                    const int8x16_t w[2] = {vld1q_s8(reinterpret_cast<const int8_t*>(wp + 32 * st)),
                                            vld1q_s8(reinterpret_cast<const int8_t*>(wp + 32 * st + 16))};
#pragma GCC unroll 4
                    for (int j = 0; j < kRows; j++)
                        for (int h = 0; h < 2; h++) d[j][h].add_lane(w[h], av[j][t], st % 4);
                }
                for (int h = 0; h < 2; h++) {
                    const int32x4_t s = vshrq_n_s32(vshlq_n_s32(vld1q_s32(sc + 8 * t + 4 * h), 16), 16);
                    for (int j = 0; j < kRows; j++)
                        isum[j][h] = t == 0 ? vmulq_s32(d[j][h].sums(), s) : vmlaq_s32(isum[j][h], d[j][h].sums(), s);
                }
            }
        } else {
            // U8: the high plane first, its sums times 16 before the low plane's are added
#pragma GCC unroll 2
            for (int pl = kPlanes - 1; pl >= 0; pl--) {
                Dot4<> d[kRows][2];
#pragma GCC unroll 8
                for (int st = 0; st < 8; st++) {
                    const uint8_t* q = wp + 256 * pl + 32 * st;
                    const int8x16_t w[2] = {vld1q_s8(reinterpret_cast<const int8_t*>(q)),
                                            vld1q_s8(reinterpret_cast<const int8_t*>(q + 16))};
#pragma GCC unroll 4
                    for (int j = 0; j < kRows; j++)
                        for (int h = 0; h < 2; h++) d[j][h].add_lane(w[h], av[j][st / 4], st % 4);
                }
                for (int j = 0; j < kRows; j++)
                    for (int h = 0; h < 2; h++)
                        isum[j][h] = pl == kPlanes - 1 ? d[j][h].sums() : vaddq_s32(vshlq_n_s32(isum[j][h], 4), d[j][h].sums());
            }
        }
        const float* dw = reinterpret_cast<const float*>(wp + kPlanes * 256);  // dw[8], mw[2][8]
        for (int h = 0; h < 2; h++) {
            const float32x4_t dwv = vld1q_f32(dw + 4 * h), mw0 = vld1q_f32(dw + 8 + 4 * h), mw1 = vld1q_f32(dw + 16 + 4 * h);
            for (int j = 0; j < kRows; j++) {
                float32x4_t v = vfmaq_f32(acc[j][h], vcvtq_f32_s32(isum[j][h]), vmulq_n_f32(dwv, da[j]));
                if constexpr (kHalf) {
                    v = vfmaq_n_f32(v, mw0, da[4 + j]);
                    v = vfmaq_n_f32(v, mw1, da[8 + j]);
                } else {
                    v = vfmaq_n_f32(v, mw0, da[12 + j]);  // both halves share the min
                }
                acc[j][h] = v;
            }
        }
    }
    for (int j = 0; j < kRows && j0 + j < ncols; j++) {
        float* cj = c + (j0 + j) * ldc;
        if (mrows == kQPanelRows) {
            float32x4_t v0 = acc[j][0], v1 = acc[j][1];
            if (accumulate) v0 = vaddq_f32(v0, vld1q_f32(cj)), v1 = vaddq_f32(v1, vld1q_f32(cj + 4));
            vst1q_f32(cj, v0), vst1q_f32(cj + 4, v1);
        } else {
            float t[kQPanelRows];
            vst1q_f32(t, acc[j][0]), vst1q_f32(t + 4, acc[j][1]);
            for (int i = 0; i < mrows; i++) cj[i] = accumulate ? cj[i] + t[i] : t[i];
        }
    }
}

template <QKind kKind>
void gemm_panel(int64_t nchunks, const uint8_t* wp, const uint8_t* ap, float* c, int64_t ldc, int mrows, int ncols,
                bool accumulate) {
    for (int j0 = 0; j0 < ncols; j0 += kGemmRows)
        gemm_rows<kKind, kGemmRows>(nchunks, wp, ap, j0, c, ldc, mrows, ncols, accumulate);
}

template <QKind kKind>
void gemm_kind(int64_t nchunks, const uint8_t* w0, const uint8_t* w1, const uint8_t* ap, float* c, int64_t ldc,
               int mrows, int ncols, bool accumulate) {
    gemm_panel<kKind>(nchunks, w0, ap, c, ldc, std::min(mrows, kQPanelRows), ncols, accumulate);
    if (w1 && mrows > kQPanelRows)
        gemm_panel<kKind>(nchunks, w1, ap, c + kQPanelRows, ldc, mrows - kQPanelRows, ncols, accumulate);
}

void gemm(QKind kind, int64_t nchunks, const uint8_t* w0, const uint8_t* w1, const uint8_t* ap, float* c, int64_t ldc,
          int mrows, int ncols, bool accumulate) {
    switch (kind) {
        case QKind::U4: gemm_kind<QKind::U4>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        case QKind::U5: gemm_kind<QKind::U5>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        case QKind::U8: gemm_kind<QKind::U8>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        case QKind::H2: gemm_kind<QKind::H2>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        case QKind::H3: gemm_kind<QKind::H3>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
        default: gemm_kind<QKind::H6>(nchunks, w0, w1, ap, c, ldc, mrows, ncols, accumulate); break;
    }
}

QuantDotTable make_table() {
    QuantDotTable t;
    t.dot[int(Type::Q4_0)] = dot_q4_0;
    t.dot[int(Type::Q4_1)] = dot_q4_1;
    t.dot[int(Type::Q5_0)] = dot_q5_0;
    t.dot[int(Type::Q5_1)] = dot_q5_1;
    t.dot[int(Type::Q8_0)] = dot_q8_0;
    t.dot[int(Type::Q2_K)] = dot_q2_K;
    t.dot[int(Type::Q3_K)] = dot_q3_K;
    t.dot[int(Type::Q4_K)] = dot_q4_K;
    t.dot[int(Type::Q5_K)] = dot_q5_K;
    t.dot[int(Type::Q6_K)] = dot_q6_K;
    t.dot_r8[int(Type::Q4_0)] = dot_r8_q4_0;
    t.dot_r8[int(Type::Q5_0)] = dot_r8_q5_0;
    t.dot_r8[int(Type::Q8_0)] = dot_r8_q8_0;
    t.dot_r8[int(Type::Q4_K)] = dot_r8_q4_K;
    t.dot_r8[int(Type::Q6_K)] = dot_r8_q6_K;
    t.dot_r8_cols[int(Type::Q4_0)] = dot_r8_cols<ColsQ45_0<false>>;
    t.dot_r8_cols[int(Type::Q5_0)] = dot_r8_cols<ColsQ45_0<true>>;
    t.dot_r8_cols[int(Type::Q8_0)] = dot_r8_cols<ColsQ8_0>;
    t.dot_r8_cols[int(Type::Q4_K)] = dot_r8_cols<ColsQ4_K>;
    t.dot_r8_cols[int(Type::Q6_K)] = dot_r8_cols<ColsQ6_K>;
    t.r8_cols = kR8Cols;
    t.dot_aux_q4_0 = dot_aux_q4_0;
    t.dot_aux_q5_0 = dot_aux_q5_0;
    t.act_q8_0 = act_q8_0;
    t.act_q8_1 = act_q8_1;
    t.act_q8_K = act_q8_K;
    t.gemm = gemm;
    return t;  // gemm_wide stays null: it is the AVX-512 16-row zmm form of gemm
}

}  // namespace
}  // namespace ggml::cpu
