// Internal interface of the CPU SIMD layer (not for use outside backends/cpu): the dispatch level, the
// per-instruction-set tables of vector kernels behind vec.h, and the pieces of the packed matrix product
// behind op_mul_mat.
//
// Matrix product, as op_mul_mat sees it: dst[n][m] = sum_k a[m][k] * b[n][k], both operands k-contiguous.
// Dense weights (F32, F16, BF16) go through a cache-blocked GEMM: a is converted to F32 while it is packed
// into mr-row micro-panels, b into nr-row micro-panels, and a register-tiled microkernel (mr x nr
// accumulators, vectorised along m) runs over them. Few columns (decode) use row dot products instead.
// Quantized weight types (Q4_0 ... Q6_K) are accepted by `gemm_supports_type` and go through their own
// driver (quant_dot.h: b rows quantized to 8 bits once per call, then row dots or a packed int8 kernel).
#pragma once
#include <cstddef>
#include <cstdint>

#include "backends/cpu/prefetch.h"
#include "ggml/type.h"

namespace ggml::cpu {

enum class SimdLevel : int { Scalar = 0, Avx2 = 1, Avx512 = 2, Neon = 3, NeonDotprod = 4 };
SimdLevel simd_level();  // the level in use (best available, capped by force_simd_level / GIRAFFE_SIMD)

// ---- vector kernels (one table per instruction set; same signatures as vec.h) ----
struct VecTable {
    void (*add)(int64_t, float*, const float*, const float*);
    void (*sub)(int64_t, float*, const float*, const float*);
    void (*mul)(int64_t, float*, const float*, const float*);
    void (*div)(int64_t, float*, const float*, const float*);
    void (*scale)(int64_t, float*, const float*, float, float);
    float (*dot_f32)(int64_t, const float*, const float*);
    float (*dot_f16)(int64_t, const uint16_t*, const float*);
    float (*dot_bf16)(int64_t, const uint16_t*, const float*);
    double (*sum_sq)(int64_t, const float*);
    double (*sum)(int64_t, const float*);
    float (*max)(int64_t, const float*);
    float (*exp_sum)(int64_t, float*, const float*, float);
    void (*silu)(int64_t, float*, const float*);
    void (*swiglu)(int64_t, float*, const float*, const float*);
    void (*f16_to_f32)(int64_t, float*, const uint16_t*);
    void (*f32_to_f16)(int64_t, uint16_t*, const float*);
    void (*bf16_to_f32)(int64_t, float*, const uint16_t*);
    void (*f32_to_bf16)(int64_t, uint16_t*, const float*);
    // null where a level has no kernel for them (vec.h: the single dots stand in)
    void (*dot_block16)(Type, int64_t, const uint16_t*, size_t, int, const float* const*, int, float*, size_t);
    void (*dot_rows16)(Type, int64_t, const void*, size_t, int64_t, const float*, size_t, int, float*, size_t,
                       const PrefetchRows&);
    bool (*dequant)(Type, const void*, float*, int64_t);  // false: no kernel for this type
    void (*mad_rows)(Type, int64_t, const void*, size_t, int64_t, const float*, size_t, int, float*, size_t,
                     const PrefetchRows&);
    // XOR of `lines` 64-byte lines: the bandwidth probe, reading the way the decode dots do (widest loads,
    // prefetched kPrefetchBytes ahead), so that the floor it gives is one the kernels can be held to.
    uint64_t (*xor_lines)(const void*, size_t);
};
// Decode streams the weights from memory: its dots ask for them this far ahead of use. A dot spends more
// time per line than the probe, so it needs lines in flight to keep the stream going, but asking too far
// ahead costs too; the best distance depends on the machine's memory (docs/performance.md, Prefetch).
constexpr int kPrefetchBytes = 3072;
// The value update's kernels (vec_mad_rows.inl) take the weights of up to kMadRows accumulator rows for up to
// kMadKeys value rows at a time, laid out value row by value row.
constexpr int kMadRows = 8;
constexpr int64_t kMadKeys = 64;
// The value update without vectors, over columns [d0, n): acc[j * lda + d] += sum_i w[i * wi + j * wj] * x_i[d]
// for j < ny. The scalar table's whole update, and the columns past the SIMD kernels' vector widths (out of
// line: few shapes need it, and inlined into the kernels' copies for fixed head sizes its dead loop draws
// GCC's loop warning).
void mad_columns(Type t, int64_t d0, int64_t n, int ny, const char* x, size_t ldx, int64_t nx, const float* w,
                 size_t wi, size_t wj, float* acc, size_t lda);
const VecTable& vec_table_scalar();
const VecTable& vec_table();  // the table for simd_level()
#if defined(GIRAFFE_X86)
const VecTable& vec_table_avx2();
const VecTable& vec_table_avx512();
#endif
#if defined(GIRAFFE_ARM)
const VecTable& vec_table_neon();
#endif

// ---- packed GEMM pieces ----
struct GemmKernels {
    int mr = 0;  // rows of a per micro-panel (the vector dimension: m)
    int nr = 0;  // rows of b per micro-panel (broadcast: n)
    // Packs a block of a: rows [0, rows) (type t: F32, F16 or BF16; row stride lda bytes), columns
    // [k0, k0 + kc), converted to F32. Micro-panel p (mr rows) is stored at dst + p*mr*kc, as kc groups of
    // mr values a[p*mr + i][k]; rows past `rows` are zero.
    void (*pack_a)(Type t, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst);
    // Packs b (F32, row stride ldb bytes, element stride eb bytes) the same way with nr rows per panel.
    // dst needs nr*kc floats per panel plus 8 floats of slack.
    void (*pack_b)(const char* b, size_t ldb, size_t eb, int64_t rows, int64_t k0, int64_t kc, float* dst);
    // c[j*ldc + i] (+)= sum_k pa[k*mr + i] * pb[k*nr + j] for i < mrows, j < ncols; `accumulate` false
    // overwrites c.
    void (*kernel)(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, int mrows, int ncols,
                   bool accumulate);
};
const GemmKernels& gemm_kernels_scalar();
const GemmKernels& gemm_kernels();  // for simd_level()
#if defined(GIRAFFE_X86)
const GemmKernels& gemm_kernels_avx2();
const GemmKernels& gemm_kernels_avx512();
// Packing helpers shared by the AVX2 and AVX-512 kernels (8x8 transposes), compiled for AVX2.
void pack_a_avx2(int mr, Type t, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst);
void pack_b_avx2(int nr, const char* b, size_t ldb, size_t eb, int64_t rows, int64_t k0, int64_t kc,
                 float* dst);
#endif
#if defined(GIRAFFE_ARM)
const GemmKernels& gemm_kernels_neon();
#endif
// Plain packing loops (any mr / nr), used by the scalar and NEON tables.
void pack_a_generic(int mr, Type t, const char* a, size_t lda, int64_t rows, int64_t k0, int64_t kc, float* dst);
void pack_b_generic(int nr, const char* b, size_t ldb, size_t eb, int64_t rows, int64_t k0, int64_t kc,
                    float* dst);

// True when a's type has a GEMM / dot kernel (quantized types: see quant_dot.h).
bool gemm_supports_type(Type t);
// Row dot product for a's type against an F32 b row (the decode path); nullptr for quantized types.
using DotFn = float (*)(int64_t n, const void* a_row, const float* b_row);
DotFn dot_kernel_for_type(Type t);

// One thread's tile of one batch: dst[n][m] for m in [m0, m1), n in [n0, n1) with the packed GEMM.
// a: row m at a + m*lda (type ta); b: row n, element k at b + n*ldb + k*eb (F32); dst row n at dst + n*ldd.
void gemm_tile(Type ta, const char* a, size_t lda, const char* b, size_t ldb, size_t eb, float* dst,
               int64_t ldd, int64_t K, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

}  // namespace ggml::cpu
