// NEON (AArch64 Advanced SIMD) versions of the hottest vec.h kernels; the rest use the scalar table.
// Compiled only on ARM.
#include <arm_neon.h>

#include <cmath>
#include <limits>

#include "backends/cpu/gemm.h"
#include "ggml/type.h"

namespace ggml::cpu {
namespace {

inline float32x4_t load_f16(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
inline float32x4_t load_bf16(const uint16_t* p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
}

template <class Op, class Op1>
inline void binary(int64_t n, float* z, const float* x, const float* y, Op op, Op1 op1) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(z + i, op(vld1q_f32(x + i), vld1q_f32(y + i)));
    for (; i < n; i++) z[i] = op1(x[i], y[i]);
}
void v_add(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](float32x4_t a, float32x4_t b) { return vaddq_f32(a, b); }, [](float a, float b) { return a + b; });
}
void v_sub(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](float32x4_t a, float32x4_t b) { return vsubq_f32(a, b); }, [](float a, float b) { return a - b; });
}
void v_mul(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](float32x4_t a, float32x4_t b) { return vmulq_f32(a, b); }, [](float a, float b) { return a * b; });
}
void v_div(int64_t n, float* z, const float* x, const float* y) {
    binary(n, z, x, y, [](float32x4_t a, float32x4_t b) { return vdivq_f32(a, b); }, [](float a, float b) { return a / b; });
}
void v_scale(int64_t n, float* z, const float* x, float s, float b) {
    const float32x4_t vs = vdupq_n_f32(s), vb = vdupq_n_f32(b);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(z + i, vfmaq_f32(vb, vld1q_f32(x + i), vs));
    for (; i < n; i++) z[i] = std::fma(x[i], s, b);
}

template <class Load4, class Load1>
inline float dot(int64_t n, const float* y, Load4 load4, Load1 load1) {
    float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = vfmaq_f32(a0, load4(i), vld1q_f32(y + i));
        a1 = vfmaq_f32(a1, load4(i + 4), vld1q_f32(y + i + 4));
        a2 = vfmaq_f32(a2, load4(i + 8), vld1q_f32(y + i + 8));
        a3 = vfmaq_f32(a3, load4(i + 12), vld1q_f32(y + i + 12));
    }
    for (; i + 4 <= n; i += 4) a0 = vfmaq_f32(a0, load4(i), vld1q_f32(y + i));
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
    for (; i < n; i++) s += load1(i) * y[i];
    return s;
}
float v_dot_f32(int64_t n, const float* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return vld1q_f32(x + i); }, [x](int64_t i) { return x[i]; });
}
float v_dot_f16(int64_t n, const uint16_t* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return load_f16(x + i); }, [x](int64_t i) { return fp16_to_fp32(x[i]); });
}
float v_dot_bf16(int64_t n, const uint16_t* x, const float* y) {
    return dot(n, y, [x](int64_t i) { return load_bf16(x + i); }, [x](int64_t i) { return bf16_to_fp32(x[i]); });
}
float v_max(int64_t n, const float* x) {
    float m = -std::numeric_limits<float>::infinity();
    int64_t i = 0;
    if (n >= 4) {
        float32x4_t vm = vld1q_f32(x);
        for (i = 4; i + 4 <= n; i += 4) vm = vmaxq_f32(vm, vld1q_f32(x + i));
        m = vmaxvq_f32(vm);
    }
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}
// FCVT quiets signalling NaNs; clear the quiet bit again for those lanes to keep the payload exact.
void v_f16_to_f32(int64_t n, float* z, const uint16_t* x) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32x4_t w = vmovl_u16(vld1_u16(x + i));
        const uint32x4_t snan = vandq_u32(vceqq_u32(vandq_u32(w, vdupq_n_u32(0x7e00)), vdupq_n_u32(0x7c00)),
                                          vtstq_u32(w, vdupq_n_u32(0x1ff)));
        const uint32x4_t f = vreinterpretq_u32_f32(load_f16(x + i));
        vst1q_f32(z + i, vreinterpretq_f32_u32(vbicq_u32(f, vandq_u32(snan, vdupq_n_u32(0x400000)))));
    }
    for (; i < n; i++) z[i] = fp16_to_fp32(x[i]);
}
void v_f32_to_f16(int64_t n, uint16_t* z, const float* x) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1_u16(z + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
    for (; i < n; i++) z[i] = fp32_to_fp16(x[i]);
}
void v_bf16_to_f32(int64_t n, float* z, const uint16_t* x) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(z + i, load_bf16(x + i));
    for (; i < n; i++) z[i] = bf16_to_fp32(x[i]);
}

VecTable make_table() {
    VecTable t = vec_table_scalar();  // sums in double, exp, silu and bf16 rounding stay scalar for now
    t.add = v_add;
    t.sub = v_sub;
    t.mul = v_mul;
    t.div = v_div;
    t.scale = v_scale;
    t.dot_f32 = v_dot_f32;
    t.dot_f16 = v_dot_f16;
    t.dot_bf16 = v_dot_bf16;
    t.max = v_max;
    t.f16_to_f32 = v_f16_to_f32;
    t.f32_to_f16 = v_f32_to_f16;
    t.bf16_to_f32 = v_bf16_to_f32;
    return t;
}

}  // namespace

const VecTable& vec_table_neon() {
    static const VecTable t = make_table();
    return t;
}

}  // namespace ggml::cpu
