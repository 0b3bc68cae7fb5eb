// NEON GEMM pieces: packing by 4x4 transposes (converting F16 / BF16 to F32 four at a time) and the 8x8
// microkernel (16 q-register accumulators: two 4-float columns of a times eight values of b, taken by lane from two
// q registers, per k). Compiled only on ARM.
#include <arm_neon.h>

#include "backends/cpu/gemm.h"

namespace ggml::cpu {
namespace {

constexpr int kMR = 8, kNR = 8;

template <Type T>
inline float32x4_t load4(const char* p) {
    if constexpr (T == Type::F32) {
        return vld1q_f32(reinterpret_cast<const float*>(p));
    } else {
        const uint16x4_t h = vld1_u16(reinterpret_cast<const uint16_t*>(p));
        if constexpr (T == Type::F16) return vcvt_f32_f16(vreinterpret_f16_u16(h));
        else return vreinterpretq_f32_u32(vshll_n_u16(h, 16));
    }
}
template <Type T>
inline float load1(const char* p) {
    if constexpr (T == Type::F32) {
        return *reinterpret_cast<const float*>(p);
    } else {
        const uint16_t h = *reinterpret_cast<const uint16_t*>(p);
        return T == Type::F16 ? fp16_to_fp32(h) : bf16_to_fp32(h);
    }
}

// Rows r0..r3 become columns: r[c] = (r0[c], r1[c], r2[c], r3[c]).
inline void transpose4(float32x4_t& r0, float32x4_t& r1, float32x4_t& r2, float32x4_t& r3) {
    const float64x2_t t0 = vreinterpretq_f64_f32(vtrn1q_f32(r0, r1)), t1 = vreinterpretq_f64_f32(vtrn2q_f32(r0, r1));
    const float64x2_t t2 = vreinterpretq_f64_f32(vtrn1q_f32(r2, r3)), t3 = vreinterpretq_f64_f32(vtrn2q_f32(r2, r3));
    r0 = vreinterpretq_f32_f64(vtrn1q_f64(t0, t2));
    r1 = vreinterpretq_f32_f64(vtrn1q_f64(t1, t3));
    r2 = vreinterpretq_f32_f64(vtrn2q_f64(t0, t2));
    r3 = vreinterpretq_f32_f64(vtrn2q_f64(t1, t3));
}

// Rows [0, w) of src (w <= 4; the other lanes zero), columns [k0, k0 + kc), into d[k * ld + i] for i < 4.
template <Type T>
void pack_group4(const char* src, size_t ld_src, int w, int64_t k0, int64_t kc, float* d, int ld) {
    constexpr size_t es = T == Type::F32 ? 4 : 2;
    const char* row[4];
    for (int i = 0; i < 4; i++) row[i] = src + size_t(i < w ? i : 0) * ld_src + size_t(k0) * es;
    const float32x4_t z = vdupq_n_f32(0.0f);
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        const size_t off = size_t(k) * es;
        float32x4_t r0 = load4<T>(row[0] + off), r1 = w > 1 ? load4<T>(row[1] + off) : z;
        float32x4_t r2 = w > 2 ? load4<T>(row[2] + off) : z, r3 = w > 3 ? load4<T>(row[3] + off) : z;
        transpose4(r0, r1, r2, r3);
        float* dk = d + k * ld;
        vst1q_f32(dk, r0);
        vst1q_f32(dk + ld, r1);
        vst1q_f32(dk + 2 * ld, r2);
        vst1q_f32(dk + 3 * ld, r3);
    }
    for (; k < kc; k++)
        for (int i = 0; i < 4; i++) d[k * ld + i] = i < w ? load1<T>(row[i] + size_t(k) * es) : 0.0f;
}

// Rows [0, rows) into panels of `mr` rows (a multiple of 4), zero past the end.
template <Type T>
void pack_panels(int mr, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    for (int64_t p0 = 0; p0 < rows; p0 += mr, dst += int64_t(mr) * kc) {
        for (int g = 0; g < mr; g += 4) {
            const int64_t left = rows - (p0 + g);
            if (left > 0) {
                pack_group4<T>(a + size_t(p0 + g) * lda, lda, int(left < 4 ? left : 4), k0, kc, dst + g, mr);
            } else {
                for (int64_t k = 0; k < kc; k++) vst1q_f32(dst + k * mr + g, vdupq_n_f32(0.0f));
            }
        }
    }
}

void pack_a(Type t, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    switch (t) {
        case Type::F16: pack_panels<Type::F16>(kMR, a, lda, rows, k0, kc, dst); break;
        case Type::BF16: pack_panels<Type::BF16>(kMR, a, lda, rows, k0, kc, dst); break;
        default: pack_panels<Type::F32>(kMR, a, lda, rows, k0, kc, dst); break;
    }
}
// b rows with contiguous elements take the transposes; strided ones (a transposed view) the plain loops.
void pack_b(const char* b, size_t ldb, size_t eb, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    if (eb == sizeof(float)) pack_panels<Type::F32>(kNR, b, ldb, rows, k0, kc, dst);
    else pack_b_generic(kNR, b, ldb, eb, rows, k0, kc, dst);
}

void kernel_8x8(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, int mrows, int ncols,
                bool accumulate) {
    float32x4_t acc[kNR][2];
    for (int j = 0; j < kNR; j++) acc[j][0] = acc[j][1] = vdupq_n_f32(0.0f);
    for (int64_t k = 0; k < kc; k++) {
        const float32x4_t a0 = vld1q_f32(pa), a1 = vld1q_f32(pa + 4);
        const float32x4_t b0 = vld1q_f32(pb), b1 = vld1q_f32(pb + 4);
        acc[0][0] = vfmaq_laneq_f32(acc[0][0], a0, b0, 0);
        acc[0][1] = vfmaq_laneq_f32(acc[0][1], a1, b0, 0);
        acc[1][0] = vfmaq_laneq_f32(acc[1][0], a0, b0, 1);
        acc[1][1] = vfmaq_laneq_f32(acc[1][1], a1, b0, 1);
        acc[2][0] = vfmaq_laneq_f32(acc[2][0], a0, b0, 2);
        acc[2][1] = vfmaq_laneq_f32(acc[2][1], a1, b0, 2);
        acc[3][0] = vfmaq_laneq_f32(acc[3][0], a0, b0, 3);
        acc[3][1] = vfmaq_laneq_f32(acc[3][1], a1, b0, 3);
        acc[4][0] = vfmaq_laneq_f32(acc[4][0], a0, b1, 0);
        acc[4][1] = vfmaq_laneq_f32(acc[4][1], a1, b1, 0);
        acc[5][0] = vfmaq_laneq_f32(acc[5][0], a0, b1, 1);
        acc[5][1] = vfmaq_laneq_f32(acc[5][1], a1, b1, 1);
        acc[6][0] = vfmaq_laneq_f32(acc[6][0], a0, b1, 2);
        acc[6][1] = vfmaq_laneq_f32(acc[6][1], a1, b1, 2);
        acc[7][0] = vfmaq_laneq_f32(acc[7][0], a0, b1, 3);
        acc[7][1] = vfmaq_laneq_f32(acc[7][1], a1, b1, 3);
        pa += kMR;
        pb += kNR;
    }
    float tmp[kMR];
    for (int j = 0; j < ncols; j++) {
        float* cj = c + j * ldc;
        vst1q_f32(tmp, acc[j][0]);
        vst1q_f32(tmp + 4, acc[j][1]);
        for (int i = 0; i < mrows; i++) cj[i] = accumulate ? cj[i] + tmp[i] : tmp[i];
    }
}

}  // namespace

const GemmKernels& gemm_kernels_neon() {
    static const GemmKernels g = {kMR, kNR, pack_a, pack_b, kernel_8x8};
    return g;
}

}  // namespace ggml::cpu
