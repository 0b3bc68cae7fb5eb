// AVX-512 GEMM microkernel: 32x12 (24 zmm accumulators: two 16-float columns of a times twelve broadcast
// values of b per k). Packing reuses the AVX2 8x8-transpose routines (every AVX-512 CPU has AVX2).
// Not executed on machines without AVX-512; mirrors kernel_16x6 in gemm_avx2.cpp.
// GCC 12's AVX-512 headers build some results from self-initialised `undefined` vectors, which trips
// -Wuninitialized once inlined here (a known false positive of the headers, not of this code).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "backends/cpu/gemm.h"

namespace ggml::cpu {
namespace {

constexpr int kMR = 32, kNR = 12;

void pack_a(Type t, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    pack_a_avx2(kMR, t, a, lda, rows, k0, kc, dst);
}
void pack_b(const char* b, size_t ldb, size_t eb, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    pack_b_avx2(kNR, b, ldb, eb, rows, k0, kc, dst);
}

// NR <= kNR columns of the packed b panel (its stride stays kNR): fewer columns, fewer multiply-adds (decode
// attention multiplies by 8 query rows).
template <int NR>
void kernel_32xn(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, int mrows, int ncols,
                 bool accumulate) {
    __m512 acc[NR][2];
    for (int j = 0; j < NR; j++) acc[j][0] = acc[j][1] = _mm512_setzero_ps();
#pragma GCC unroll 2
    for (int64_t k = 0; k < kc; k++) {
        const __m512 a0 = _mm512_load_ps(pa), a1 = _mm512_load_ps(pa + 16);
#pragma GCC unroll 12
        for (int j = 0; j < NR; j++) {
            const __m512 b = _mm512_set1_ps(pb[j]);
            acc[j][0] = _mm512_fmadd_ps(a0, b, acc[j][0]);
            acc[j][1] = _mm512_fmadd_ps(a1, b, acc[j][1]);
        }
        pa += kMR;
        pb += kNR;
    }
    if (mrows == kMR) {
        for (int j = 0; j < ncols; j++) {
            float* cj = c + j * ldc;
            __m512 v0 = acc[j][0], v1 = acc[j][1];
            if (accumulate) {
                v0 = _mm512_add_ps(v0, _mm512_loadu_ps(cj));
                v1 = _mm512_add_ps(v1, _mm512_loadu_ps(cj + 16));
            }
            _mm512_storeu_ps(cj, v0);
            _mm512_storeu_ps(cj + 16, v1);
        }
        return;
    }
    // Partial tile: masked loads and stores of the first mrows lanes.
    const int m0 = mrows < 16 ? mrows : 16, m1 = mrows - m0;
    const __mmask16 k0m = __mmask16((1u << m0) - 1), k1m = __mmask16((1u << m1) - 1);
    for (int j = 0; j < ncols; j++) {
        float* cj = c + j * ldc;
        __m512 v0 = acc[j][0], v1 = acc[j][1];
        if (accumulate) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(k0m, cj));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(k1m, cj + 16));
        }
        _mm512_mask_storeu_ps(cj, k0m, v0);
        _mm512_mask_storeu_ps(cj + 16, k1m, v1);
    }
}

void kernel_32x12(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, int mrows, int ncols,
                  bool accumulate) {
    if (ncols <= 4) kernel_32xn<4>(kc, pa, pb, c, ldc, mrows, ncols, accumulate);
    else if (ncols <= 8) kernel_32xn<8>(kc, pa, pb, c, ldc, mrows, ncols, accumulate);
    else kernel_32xn<kNR>(kc, pa, pb, c, ldc, mrows, ncols, accumulate);
}

}  // namespace

const GemmKernels& gemm_kernels_avx512() {
    static const GemmKernels g = {kMR, kNR, pack_a, pack_b, kernel_32x12};
    return g;
}

}  // namespace ggml::cpu
