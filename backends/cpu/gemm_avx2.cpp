// AVX2 + FMA GEMM pieces: 8x8-transpose packing (converting F16/BF16 to F32) and the 16x6 microkernel
// (12 ymm accumulators: two 8-float columns of a times six broadcast values of b per k).
#include <immintrin.h>

#include "backends/cpu/gemm.h"

namespace ggml::cpu {
namespace {

inline void transpose8(__m256& r0, __m256& r1, __m256& r2, __m256& r3, __m256& r4, __m256& r5, __m256& r6,
                       __m256& r7) {
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
    r0 = _mm256_permute2f128_ps(u0, u4, 0x20);
    r1 = _mm256_permute2f128_ps(u1, u5, 0x20);
    r2 = _mm256_permute2f128_ps(u2, u6, 0x20);
    r3 = _mm256_permute2f128_ps(u3, u7, 0x20);
    r4 = _mm256_permute2f128_ps(u0, u4, 0x31);
    r5 = _mm256_permute2f128_ps(u1, u5, 0x31);
    r6 = _mm256_permute2f128_ps(u2, u6, 0x31);
    r7 = _mm256_permute2f128_ps(u3, u7, 0x31);
}

template <Type T>
inline __m256 load8(const char* p) {
    if constexpr (T == Type::F32) {
        return _mm256_loadu_ps(reinterpret_cast<const float*>(p));
    } else if constexpr (T == Type::F16) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    } else {
        const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
    }
}
template <Type T>
inline float load1(const char* p) {
    if constexpr (T == Type::F32) {
        return *reinterpret_cast<const float*>(p);
    } else {
        const uint16_t h = *reinterpret_cast<const uint16_t*>(p);
        return T == Type::F16 ? _cvtsh_ss(h) : bf16_to_fp32(h);
    }
}

// Stores the first w (1..8) lanes of v.
inline void store_first(float* d, __m256 v, int w) {
    if (w == 8) {
        _mm256_storeu_ps(d, v);
        return;
    }
    alignas(32) float tmp[8];
    _mm256_store_ps(tmp, v);
    for (int i = 0; i < w; i++) d[i] = tmp[i];
}

// Packs 8-row groups: rows [r0, r0 + w) of `src` (w <= 8; missing rows are zero) into d[k*ld + i].
template <Type T>
void pack_group(const char* src, size_t ld_src, int w, int64_t k0, int64_t kc, float* d, int ld) {
    constexpr size_t es = T == Type::F32 ? 4 : 2;
    const char* row[8];
    for (int i = 0; i < 8; i++) row[i] = src + size_t(i < w ? i : 0) * ld_src + size_t(k0) * es;
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
        const size_t off = size_t(k) * es;
        const __m256 z = _mm256_setzero_ps();
        __m256 r0 = load8<T>(row[0] + off);
        __m256 r1 = w > 1 ? load8<T>(row[1] + off) : z, r2 = w > 2 ? load8<T>(row[2] + off) : z;
        __m256 r3 = w > 3 ? load8<T>(row[3] + off) : z, r4 = w > 4 ? load8<T>(row[4] + off) : z;
        __m256 r5 = w > 5 ? load8<T>(row[5] + off) : z, r6 = w > 6 ? load8<T>(row[6] + off) : z;
        __m256 r7 = w > 7 ? load8<T>(row[7] + off) : z;
        transpose8(r0, r1, r2, r3, r4, r5, r6, r7);
        float* dk = d + k * ld;
        if (w == 8) {
            _mm256_storeu_ps(dk, r0);
            _mm256_storeu_ps(dk + ld, r1);
            _mm256_storeu_ps(dk + 2 * ld, r2);
            _mm256_storeu_ps(dk + 3 * ld, r3);
            _mm256_storeu_ps(dk + 4 * ld, r4);
            _mm256_storeu_ps(dk + 5 * ld, r5);
            _mm256_storeu_ps(dk + 6 * ld, r6);
            _mm256_storeu_ps(dk + 7 * ld, r7);
        } else {
            store_first(dk, r0, w);
            store_first(dk + ld, r1, w);
            store_first(dk + 2 * ld, r2, w);
            store_first(dk + 3 * ld, r3, w);
            store_first(dk + 4 * ld, r4, w);
            store_first(dk + 5 * ld, r5, w);
            store_first(dk + 6 * ld, r6, w);
            store_first(dk + 7 * ld, r7, w);
        }
    }
    for (; k < kc; k++)
        for (int i = 0; i < w; i++) d[k * ld + i] = load1<T>(row[i] + size_t(k) * es);
}

// Packs rows [0, rows) into panels of `mr` rows (ld = mr), zero-filling the rows past the end.
template <Type T>
void pack_panels(int mr, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    for (int64_t p0 = 0; p0 < rows; p0 += mr, dst += int64_t(mr) * kc) {
        for (int g = 0; g < mr; g += 8) {
            const int64_t left = rows - (p0 + g);
            const int w = int(left >= 8 ? 8 : left > 0 ? left : 0);
            const int gw = mr - g < 8 ? mr - g : 8;  // lanes of this group inside the panel
            if (w > 0) pack_group<T>(a + size_t(p0 + g) * lda, lda, w < gw ? w : gw, k0, kc, dst + g, mr);
            for (int64_t k = 0; k < kc; k++)
                for (int i = (w < gw ? w : gw); i < gw; i++) dst[k * mr + g + i] = 0.0f;
        }
    }
}

constexpr int kMR = 16, kNR = 6;

void pack_a(Type t, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    pack_a_avx2(kMR, t, a, lda, rows, k0, kc, dst);
}
void pack_b(const char* b, size_t ldb, size_t eb, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    pack_b_avx2(kNR, b, ldb, eb, rows, k0, kc, dst);
}

void kernel_16x6(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, int mrows, int ncols,
                 bool accumulate) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; k++) {
        const __m256 a0 = _mm256_load_ps(pa), a1 = _mm256_load_ps(pa + 8);
        __m256 b = _mm256_broadcast_ss(pb);
        c00 = _mm256_fmadd_ps(a0, b, c00);
        c01 = _mm256_fmadd_ps(a1, b, c01);
        b = _mm256_broadcast_ss(pb + 1);
        c10 = _mm256_fmadd_ps(a0, b, c10);
        c11 = _mm256_fmadd_ps(a1, b, c11);
        b = _mm256_broadcast_ss(pb + 2);
        c20 = _mm256_fmadd_ps(a0, b, c20);
        c21 = _mm256_fmadd_ps(a1, b, c21);
        b = _mm256_broadcast_ss(pb + 3);
        c30 = _mm256_fmadd_ps(a0, b, c30);
        c31 = _mm256_fmadd_ps(a1, b, c31);
        b = _mm256_broadcast_ss(pb + 4);
        c40 = _mm256_fmadd_ps(a0, b, c40);
        c41 = _mm256_fmadd_ps(a1, b, c41);
        b = _mm256_broadcast_ss(pb + 5);
        c50 = _mm256_fmadd_ps(a0, b, c50);
        c51 = _mm256_fmadd_ps(a1, b, c51);
        pa += kMR;
        pb += kNR;
    }
    const __m256 acc[kNR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    if (mrows == kMR) {
        for (int j = 0; j < ncols; j++) {
            float* cj = c + j * ldc;
            __m256 v0 = acc[j][0], v1 = acc[j][1];
            if (accumulate) {
                v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cj));
                v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cj + 8));
            }
            _mm256_storeu_ps(cj, v0);
            _mm256_storeu_ps(cj + 8, v1);
        }
        return;
    }
    alignas(32) float tmp[kMR];
    for (int j = 0; j < ncols; j++) {
        float* cj = c + j * ldc;
        _mm256_store_ps(tmp, acc[j][0]);
        _mm256_store_ps(tmp + 8, acc[j][1]);
        for (int i = 0; i < mrows; i++) cj[i] = accumulate ? cj[i] + tmp[i] : tmp[i];
    }
}

}  // namespace

void pack_a_avx2(int mr, Type t, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    switch (t) {
        case Type::F16: pack_panels<Type::F16>(mr, a, lda, rows, k0, kc, dst); break;
        case Type::BF16: pack_panels<Type::BF16>(mr, a, lda, rows, k0, kc, dst); break;
        default: pack_panels<Type::F32>(mr, a, lda, rows, k0, kc, dst); break;
    }
}

void pack_b_avx2(int nr, const char* b, size_t ldb, size_t eb, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    if (eb != sizeof(float)) {  // b's elements are strided: gather one by one
        pack_b_generic(nr, b, ldb, eb, rows, k0, kc, dst);
        return;
    }
    pack_panels<Type::F32>(nr, b, ldb, rows, k0, kc, dst);
}

const GemmKernels& gemm_kernels_avx2() {
    static const GemmKernels g = {kMR, kNR, pack_a, pack_b, kernel_16x6};
    return g;
}

}  // namespace ggml::cpu
