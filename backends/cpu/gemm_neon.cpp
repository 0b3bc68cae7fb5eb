// NEON GEMM microkernel: 8x8 (16 q-register accumulators: two 4-float columns of a times eight values of
// b, taken by lane from two q registers, per k). Packing uses the plain loops. Compiled only on ARM.
#include <arm_neon.h>

#include "backends/cpu/gemm.h"

namespace ggml::cpu {
namespace {

constexpr int kMR = 8, kNR = 8;

void pack_a(Type t, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    pack_a_generic(kMR, t, a, lda, rows, k0, kc, dst);
}
void pack_b(const char* b, size_t ldb, size_t eb, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    pack_b_generic(kNR, b, ldb, eb, rows, k0, kc, dst);
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
