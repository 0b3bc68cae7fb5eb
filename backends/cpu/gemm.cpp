// The packed, cache-blocked GEMM driver (instruction-set neutral), the scalar kernels and the per-type dot
// kernels of the decode path. See gemm.h for the data layout.
#include "backends/cpu/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "backends/cpu/quant_dot.h"
#include "backends/cpu/vec.h"

namespace ggml::cpu {
namespace {

// Cache blocking. A block of a (kMC x kKC floats, 128 KiB) stays in L2 while the kernel walks a packed block
// of b (kNC x kKC, 240 KiB, L2/L3); one b micro-panel (nr x kKC) stays in L1 across the m micro-panels.
constexpr int64_t kMC = 128;  // multiple of every mr (8, 16, 32)
constexpr int64_t kNC = 240;  // multiple of every nr (4, 6, 8, 12)
constexpr int64_t kKC = 256;

struct Scratch {
    float* p = nullptr;
    size_t n = 0;
    float* get(size_t want) {
        if (want > n) {
            std::free(p);
            p = static_cast<float*>(std::aligned_alloc(64, ((want * sizeof(float) + 63) / 64) * 64));
            if (!p) throw std::bad_alloc();
            n = want;
        }
        return p;
    }
    ~Scratch() { std::free(p); }
};

inline float load_as_f32(Type t, const char* p) {
    switch (t) {
        case Type::F16: return fp16_to_fp32(*reinterpret_cast<const uint16_t*>(p));
        case Type::BF16: return bf16_to_fp32(*reinterpret_cast<const uint16_t*>(p));
        default: return *reinterpret_cast<const float*>(p);
    }
}

size_t type_bytes(Type t) { return t == Type::F32 ? 4 : 2; }

constexpr int kScalarMR = 8, kScalarNR = 4;

void scalar_pack_a(Type t, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    pack_a_generic(kScalarMR, t, a, lda, rows, k0, kc, dst);
}
void scalar_pack_b(const char* b, size_t ldb, size_t eb, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    pack_b_generic(kScalarNR, b, ldb, eb, rows, k0, kc, dst);
}
void scalar_kernel(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, int mrows, int ncols,
                   bool accumulate) {
    float acc[kScalarNR][kScalarMR] = {};
    for (int64_t k = 0; k < kc; k++) {
        for (int j = 0; j < kScalarNR; j++)
            for (int i = 0; i < kScalarMR; i++) acc[j][i] += pa[i] * pb[j];
        pa += kScalarMR;
        pb += kScalarNR;
    }
    for (int j = 0; j < ncols; j++)
        for (int i = 0; i < mrows; i++) c[j * ldc + i] = accumulate ? c[j * ldc + i] + acc[j][i] : acc[j][i];
}

float dot_f32(int64_t n, const void* a, const float* b) { return vec_dot_f32(n, static_cast<const float*>(a), b); }
float dot_f16(int64_t n, const void* a, const float* b) { return vec_dot_f16(n, static_cast<const uint16_t*>(a), b); }
float dot_bf16(int64_t n, const void* a, const float* b) { return vec_dot_bf16(n, static_cast<const uint16_t*>(a), b); }

}  // namespace

void pack_a_generic(int mr, Type t, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    const size_t es = type_bytes(t);
    for (int64_t p0 = 0; p0 < rows; p0 += mr, dst += int64_t(mr) * kc) {
        for (int i = 0; i < mr; i++) {
            if (p0 + i < rows) {
                const char* row = a + size_t(p0 + i) * lda + size_t(k0) * es;
                for (int64_t k = 0; k < kc; k++) dst[k * mr + i] = load_as_f32(t, row + size_t(k) * es);
            } else {
                for (int64_t k = 0; k < kc; k++) dst[k * mr + i] = 0.0f;
            }
        }
    }
}

void pack_b_generic(int nr, const char* b, size_t ldb, size_t eb, int64_t rows, int64_t k0, int64_t kc, float* dst) {
    if (ldb == sizeof(float)) {  // b is a transposed matrix (attention's values): a panel's k is nr floats in a row
        for (int64_t p0 = 0; p0 < rows; p0 += nr, dst += int64_t(nr) * kc) {
            const int w = int(std::min<int64_t>(nr, rows - p0));
            for (int64_t k = 0; k < kc; k++) {
                const float* src = reinterpret_cast<const float*>(b + size_t(p0) * ldb + size_t(k0 + k) * eb);
                float* d = dst + k * nr;
                std::memcpy(d, src, size_t(w) * sizeof(float));
                for (int j = w; j < nr; j++) d[j] = 0.0f;
            }
        }
        return;
    }
    for (int64_t p0 = 0; p0 < rows; p0 += nr, dst += int64_t(nr) * kc) {
        for (int j = 0; j < nr; j++) {
            if (p0 + j < rows) {
                const char* row = b + size_t(p0 + j) * ldb + size_t(k0) * eb;
                for (int64_t k = 0; k < kc; k++) dst[k * nr + j] = *reinterpret_cast<const float*>(row + size_t(k) * eb);
            } else {
                for (int64_t k = 0; k < kc; k++) dst[k * nr + j] = 0.0f;
            }
        }
    }
}

const GemmKernels& gemm_kernels_scalar() {
    static const GemmKernels g = {kScalarMR, kScalarNR, scalar_pack_a, scalar_pack_b, scalar_kernel};
    return g;
}

const GemmKernels& gemm_kernels() {
    switch (simd_level()) {
#if defined(GIRAFFE_X86)
        case SimdLevel::Avx512: return gemm_kernels_avx512();
        case SimdLevel::Avx2: return gemm_kernels_avx2();
#endif
#if defined(GIRAFFE_ARM)
        case SimdLevel::Neon:
        case SimdLevel::NeonDotprod: return gemm_kernels_neon();
#endif
        default: return gemm_kernels_scalar();
    }
}

bool gemm_supports_type(Type t) {
    return t == Type::F32 || t == Type::F16 || t == Type::BF16 || quant_dot_supported(t);
}

DotFn dot_kernel_for_type(Type t) {
    switch (t) {
        case Type::F32: return dot_f32;
        case Type::F16: return dot_f16;
        case Type::BF16: return dot_bf16;
        default: return nullptr;  // quantized types dot against 8-bit activations: see quant_dot.h
    }
}

void gemm_tile(Type ta, const char* a, size_t lda, const char* b, size_t ldb, size_t eb, float* dst, int64_t ldd,
               int64_t K, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    const GemmKernels& g = gemm_kernels();
    const int mr = g.mr, nr = g.nr;
    thread_local Scratch sa, sb;
    float* pa = sa.get(size_t(kMC) * kKC);
    float* pb = sb.get(size_t(kNC) * kKC + 16);
    for (int64_t jc = n0; jc < n1; jc += kNC) {
        const int64_t nc = std::min(kNC, n1 - jc);
        for (int64_t pc = 0; pc < K; pc += kKC) {
            const int64_t kc = std::min(kKC, K - pc);
            g.pack_b(b + size_t(jc) * ldb, ldb, eb, nc, pc, kc, pb);
            for (int64_t ic = m0; ic < m1; ic += kMC) {
                const int64_t mc = std::min(kMC, m1 - ic);
                // The next block of a is requested now, so reading it overlaps this block's arithmetic (a
                // read straight from memory, as the attention's KV cache is, otherwise waits at every pack).
                const size_t es = type_traits(ta).block_bytes;
                for (int64_t r = ic + kMC; r < std::min(m1, ic + 2 * kMC); r++) {
                    const char* row = a + size_t(r) * lda + size_t(pc) * es;
                    for (size_t o = 0; o < size_t(kc) * es; o += 64) __builtin_prefetch(row + o, 0, 2);
                }
                g.pack_a(ta, a + size_t(ic) * lda, lda, mc, pc, kc, pa);
                for (int64_t jr = 0; jr < nc; jr += nr) {
                    const float* pbj = pb + (jr / nr) * nr * kc;
                    float* cj = dst + (jc + jr) * ldd + ic;
                    const int ncols = int(std::min<int64_t>(nr, nc - jr));
                    for (int64_t ir = 0; ir < mc; ir += mr) {
                        g.kernel(kc, pa + (ir / mr) * mr * kc, pbj, cj + ir, ldd,
                                 int(std::min<int64_t>(mr, mc - ir)), ncols, pc > 0);
                    }
                }
            }
        }
    }
}

}  // namespace ggml::cpu
