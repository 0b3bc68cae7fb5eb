// Helpers shared by the quantizers (quants_legacy.cpp, quants_k.cpp): saturating f16 rounding and
// branch-free 4-float vector kernels (GCC/Clang vector extensions: SSE2 on x86-64, NEON on ARM). Include
// it after the files' fp-contract pragma so the helpers are compiled under the same rule.
#pragma once
#include <cmath>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ggml/type.h"

namespace ggml::quant_helpers {

inline constexpr float kHalfMax = 65504.0f;

// f32 -> f16 bits, saturating at the largest finite half so a finite input never stores an infinity.
inline uint16_t to_half_sat(float v) {
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
// vmax4(a, b) = a > b ? a : b and vmin4(a, b) = a < b ? a : b lane by lane (b where a is NaN). The
// compilers do not turn these vector selects into the min/max instructions by themselves.
#if defined(__SSE2__)
inline f4 vmax4(f4 a, f4 b) { return _mm_max_ps(a, b); }
inline f4 vmin4(f4 a, f4 b) { return _mm_min_ps(a, b); }
#else
inline f4 vmax4(f4 a, f4 b) { return a > b ? a : b; }
inline f4 vmin4(f4 a, f4 b) { return a < b ? a : b; }
#endif
// Clamp to [lo, hi]; a NaN becomes lo.
inline f4 clamp4(f4 v, f4 lo, f4 hi) { return vmin4(vmax4(v, lo), hi); }
// Nearest integer (ties to even) of values already clamped to a small range (|v| < 2^22): adding and
// removing 1.5 * 2^23 leaves the rounded value (FP contraction and reassociation are off here).
inline f4 round4(f4 v) {
    const f4 magic = bc4(12582912.0f);
    return (v + magic) - magic;
}
inline float hsum4(f4 v) { return (v[0] + v[2]) + (v[1] + v[3]); }

}  // namespace ggml::quant_helpers
