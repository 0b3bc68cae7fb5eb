// NEON (AArch64) quantized dot products for the two most common weight formats, Q4_0 and Q8_0 (against
// Q8_0 activations): sdot (vdotq_s32) where __ARM_FEATURE_DOTPROD is defined, widening multiplies with
// pairwise accumulation otherwise. Every other entry (the other formats, the activation quantizers and
// the packed micro-kernel) comes from the scalar table. Compiled only on ARM.
#include <arm_neon.h>

#include "backends/cpu/quant_dot.h"
#include "ggml/quants.h"

namespace ggml::cpu {
namespace {

// acc + the sums of 4 consecutive int8 products of a and b (grouping differs between the two paths, the
// total over the 16 lanes does not).
inline int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, a, b);
#else
    // |a|, |b| <= 128: every product fits int16; vpadalq adds adjacent pairs into int32.
    const int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    const int16x8_t hi = vmull_s8(vget_high_s8(a), vget_high_s8(b));
    return vpadalq_s16(vpadalq_s16(acc, lo), hi);
#endif
}

float dot_q4_0(int64_t n, const void* w, const void* a) {
    const block_q4_0* x = static_cast<const block_q4_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    const uint8x16_t m4 = vdupq_n_u8(0x0F);
    const int8x16_t eight = vdupq_n_s8(8);
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t ib = 0; ib < n / QK4_0; ib++) {
        const uint8x16_t q = vld1q_u8(x[ib].qs);
        const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, m4)), eight);  // elements 0..15
        const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);  // elements 16..31
        int32x4_t p = dot16(vdupq_n_s32(0), lo, vld1q_s8(y[ib].qs));
        p = dot16(p, hi, vld1q_s8(y[ib].qs + 16));
        acc = vmlaq_n_f32(acc, vcvtq_f32_s32(p), fp16_to_fp32(x[ib].d) * fp16_to_fp32(y[ib].d));
    }
    return vaddvq_f32(acc);
}

float dot_q8_0(int64_t n, const void* w, const void* a) {
    const block_q8_0* x = static_cast<const block_q8_0*>(w);
    const block_q8_0* y = static_cast<const block_q8_0*>(a);
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int64_t ib = 0; ib < n / QK8_0; ib++) {
        int32x4_t p = dot16(vdupq_n_s32(0), vld1q_s8(x[ib].qs), vld1q_s8(y[ib].qs));
        p = dot16(p, vld1q_s8(x[ib].qs + 16), vld1q_s8(y[ib].qs + 16));
        acc = vmlaq_n_f32(acc, vcvtq_f32_s32(p), fp16_to_fp32(x[ib].d) * fp16_to_fp32(y[ib].d));
    }
    return vaddvq_f32(acc);
}

QuantDotTable make_table() {
    QuantDotTable t = quant_dot_table_scalar();
    t.dot[int(Type::Q4_0)] = dot_q4_0;
    t.dot[int(Type::Q8_0)] = dot_q8_0;
    return t;
}

}  // namespace

const QuantDotTable& quant_dot_table_neon() {
    static const QuantDotTable t = make_table();
    return t;
}

}  // namespace ggml::cpu
