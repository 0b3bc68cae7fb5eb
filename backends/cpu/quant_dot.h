// Quantized matrix products on the CPU (internal to backends/cpu): dot products of GGUF block-quantized
// weight rows against 8-bit quantized activation rows, and the mul_mat driver built on them.
//
// Activation formats: Q8_0 for Q4_0 / Q5_0 / Q8_0 weights, Q8_1 (block sum s) for Q4_1 / Q5_1, Q8_K
// (bsums) for the K-quants. Activation rows are quantized by max-abs (codes in [-127, 127], so the
// |x| / sign(y, x) trick of the SIMD kernels is exact); see quantize_act.
//
// Two matrix paths:
//   * decode (few b rows): threads take tasks of consecutive weight rows (dynamically) and dot every
//     row with all b rows (weights are read once, straight from memory; Q4_0 / Q5_0 use QActAux);
//   * prefill (many b rows): weights are unpacked, a block of rows at a time, into "panels" of 8 rows in
//     which every element is an unsigned byte code laid out [step][row][4 codes] (a step = 4 consecutive
//     k), with per-row float scales / min terms per 32-element chunk. Activations are packed into panels of
//     4 rows ([row][32 codes] per chunk plus float scale and partial sums). A register-blocked micro-kernel
//     then computes 16 weight rows (two panels) x 4 activation rows: each 32-byte weight load feeds 4 u8*s8
//     products (maddubs) and each activation broadcast 2, int16/int32 accumulation per chunk, one float
//     FMA per chunk with d_w * d_a.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ggml/type.h"

namespace ggml::cpu {

// The activation format of weight type w (Q8_0, Q8_1 or Q8_K); F32 when w has no quantized dot.
Type quant_act_type(Type w);
bool quant_dot_supported(Type w);

// Dot of n elements (a multiple of the block size): weight row w (type w) with activation row a.
using QDotFn = float (*)(int64_t n, const void* w, const void* a);
// Quantizes n floats into activation blocks (n a multiple of the block size).
using QActFn = void (*)(const float* x, void* y, int64_t n);

// ---- prefill micro-kernel ----
constexpr int kQPanelRows = 8;  // weight rows per panel
constexpr int kQWideRows = 16;  // weight rows per wide panel (two panels interleaved)
constexpr int kQActRows = 4;    // activation rows per panel
constexpr int kQChunk = 32;     // k per chunk

// Weight kinds of the packed kernel (how the codes are accumulated).
enum class QKind : int {
    U4 = 0,  // codes 0..15, one float scale per chunk (Q4_0, Q4_1, Q4_K)
    U5,      // codes 0..31 (Q5_0, Q5_1, Q5_K)
    U8,      // codes 0..255 stored as two 4-bit planes (Q8_0)
    H2,      // codes 0..3, int scale per half chunk (Q2_K)
    H3,      // codes 0..7, int scale per half chunk (Q3_K)
    H6,      // codes 0..63, int scale per half chunk (Q6_K)
    Count
};
// The kind of weight type t (a quantized type with a dot).
QKind qkind_of(Type t);
// Weight panel, per chunk: planes x 256 code bytes ([plane][step 0..7][row 0..7][4]), then float dw[8],
// float mw[2][8] (min term of each half chunk), and for the H kinds int32 sc[2][8] (the int16 scale of row
// r in both halves of lane r). chunk bytes = qpanel_chunk_bytes(kind).
size_t qpanel_chunk_bytes(QKind kind);
// Activation panel, per chunk: int8 codes [4 rows][32], float da[4], float sa[2][4] (half-chunk terms),
// float sa0 + sa1 [4] (the whole chunk's term, for kinds whose two halves share one min).
constexpr size_t kQActChunkBytes = 4 * 32 + 4 * 4 + 8 * 4 + 4 * 4;

// c[j*ldc + i] (+)= sum over nchunks chunks of the products of weight rows i (panel w0 for i < 8, panel w1
// for 8 <= i < 16; w1 may be null, then mrows <= 8) with activation rows j, for i < mrows, j < ncols;
// `accumulate` false overwrites c.
using QGemmFn = void (*)(QKind kind, int64_t nchunks, const uint8_t* w0, const uint8_t* w1, const uint8_t* apanel,
                         float* c, int64_t ldc, int mrows, int ncols, bool accumulate);

// Wide panels (the AVX-512 VNNI micro-kernel, gemm_wide): two 8-row panels A (rows 0..7) and B (rows 8..15)
// interleaved so that one 64-byte load holds 16 rows of one step. Per chunk: planes x 512 code bytes
// ([plane][step 0..7][row 0..15][4]), then float dw[16], mw[2][16]. Only for the U4, U5 and U8 kinds.
size_t qpanel_wide_chunk_bytes(QKind kind);
// Chunks [0, nc) of panels a and b (b may be null: rows 8..15 zero) as one wide panel at dst.
void widen_panels(QKind kind, int64_t nc, const uint8_t* a, const uint8_t* b, uint8_t* dst);

// Decode helper for Q8_0 activations: per block the scale as float and the sum of the codes, computed once
// per activation row and reused by every weight row. With it the Q4_0 / Q5_0 dots take the unsigned codes
// straight (u8 x s8) and subtract the offset times the block sum in int32.
struct QActAux {
    float d;
    int32_t sum;
};
void make_act_aux(const void* a_q8_0, int64_t n, QActAux* aux);
using QDotAuxFn = float (*)(int64_t n, const void* w, const void* a, const QActAux* aux);

// Decode on interleaved weights (repack.h): the dots of the 8 rows of one group with one activation row
// (Q8_0 plus its aux for Q4_0, Q5_0 and Q8_0; Q8_K for Q4_K and Q6_K, aux unused), into out[0..8).
using QDotR8Fn = void (*)(int64_t n, const void* group, const void* a, const QActAux* aux, float* out);

// The same on several activation rows (columns) at once: each weight block loaded and unpacked once for all of
// them. The rows (up to the table's r8_cols) are first packed into a column panel, so that the kernel finds
// every column's activation words at constant offsets from one pointer:
//   Q8_0 rows, per 32-element block (40 x ncols bytes): int8 codes [word j 0..7][column c][4] (codes 4j..4j+3 of
//     column c), float d[ncols] (the block scale), int32 sum[ncols] (the sum of the block's codes);
//   Q8_K rows, per 256-element super-block (308 x ncols bytes): codes [word 0..63][column][4], float d[ncols],
//     int32 [s 0..7][column]: the int16 pair (bsums[2s], bsums[2s + 1]), int32 [p 0..3][column]: the int16 pair
//     (bsums[4p] + bsums[4p + 1], bsums[4p + 2] + bsums[4p + 3]).
// A panel's bytes are ncols times those of a one-column panel. Column c's 8 dots go to out + c * out_stride,
// equal bit for bit to dot_r8's on that row alone (the same float operations in the same order).
size_t r8_act_panel_bytes(Type act, int64_t n, int ncols);
// Packs ncols activation rows of format act (Q8_0 or Q8_K, n elements each), row c at rows + c * row_stride.
void pack_r8_act_panel(Type act, int64_t n, const void* rows, size_t row_stride, int ncols, void* dst);
using QDotR8ColsFn = void (*)(int64_t n, const void* group, const void* panel, int ncols, float* out, int64_t out_stride);

struct QuantDotTable {
    QDotFn dot[32] = {};  // indexed by the weight type id
    QDotR8Fn dot_r8[32] = {};  // indexed by the (plain) weight type id; empty in the scalar table
    QDotR8ColsFn dot_r8_cols[32] = {};  // where dot_r8 is: its multi-column form, panels of 1..r8_cols columns
    int r8_cols = 0;
    QDotAuxFn dot_aux_q4_0 = nullptr, dot_aux_q5_0 = nullptr;  // same results as dot[], faster (decode)
    QActFn act_q8_0 = nullptr, act_q8_1 = nullptr, act_q8_K = nullptr;
    QGemmFn gemm = nullptr;
    // The same product on wide panels (w0, w1 of 16 rows each, mrows <= 32) for the U4 / U5 / U8 kinds;
    // null where the level has none.
    QGemmFn gemm_wide = nullptr;
};
const QuantDotTable& quant_dot_table_scalar();
const QuantDotTable& quant_dot_table();  // for simd_level()
#if defined(GIRAFFE_X86)
const QuantDotTable& quant_dot_table_avx2();
const QuantDotTable& quant_dot_table_avx512();  // VNNI kernels; only when features().avx512_vnni
#endif
#if defined(GIRAFFE_ARM)
const QuantDotTable& quant_dot_table_neon();          // plain ARMv8 NEON
const QuantDotTable& quant_dot_table_neon_dotprod();  // with SDOT; only when features().neon_dotprod
#endif

// At the current level.
QDotFn quant_dot_fn(Type w);
void quantize_act(Type act, const float* x, void* y, int64_t n);

// Scalar references (the truth the SIMD kernels are tested against).
float vec_dot_q4_0_q8_0_ref(int64_t n, const void* w, const void* a);
float vec_dot_q4_1_q8_1_ref(int64_t n, const void* w, const void* a);
float vec_dot_q5_0_q8_0_ref(int64_t n, const void* w, const void* a);
float vec_dot_q5_1_q8_1_ref(int64_t n, const void* w, const void* a);
float vec_dot_q8_0_q8_0_ref(int64_t n, const void* w, const void* a);
float vec_dot_q2_K_q8_K_ref(int64_t n, const void* w, const void* a);
float vec_dot_q3_K_q8_K_ref(int64_t n, const void* w, const void* a);
float vec_dot_q4_K_q8_K_ref(int64_t n, const void* w, const void* a);
float vec_dot_q5_K_q8_K_ref(int64_t n, const void* w, const void* a);
float vec_dot_q6_K_q8_K_ref(int64_t n, const void* w, const void* a);
float vec_dot_q4_0_q8_0_aux_ref(int64_t n, const void* w, const void* a, const QActAux* aux);
float vec_dot_q5_0_q8_0_aux_ref(int64_t n, const void* w, const void* a, const QActAux* aux);
// The interleaved dots by the plain reference: unrepack the group, then vec_dot_*_ref per row.
void vec_dot_r8_ref(Type w, int64_t n, const void* group, const void* a, float* out);
void quantize_act_q8_0_ref(const float* x, void* y, int64_t n);
void quantize_act_q8_1_ref(const float* x, void* y, int64_t n);
void quantize_act_q8_K_ref(const float* x, void* y, int64_t n);

// ---- the matrix product (called by op_mul_mat for quantized a) ----
// dst[i3][i2][n][m] = sum_k a[i3/r3][i2/r2][m][k] * b[i3][i2][n][k]; a quantized (rows contiguous), b F32
// (any strides), dst F32 with contiguous rows.
struct QMatMul {
    int64_t K, M, N, b2, b3, r2, r3;
    Type ta;
    const char* a;
    const char* b;
    char* d;
    size_t a_nb[4], b_nb[4], d_nb[4];
    bool a_repacked = false;  // a is interleaved (repack.h), nb[1] = repacked_row_bytes
    const char* next_a = nullptr;  // the weights the next product reads (a prefetch hint), next_bytes long
    size_t next_bytes = 0;
};
// count products of the same activations (equal b, K and N), the activations quantized once per activation
// type: at decode (N below the thresholds next) one pass over all their weights, at prefill one product at a time.
void mul_mat_quant(const QMatMul* s, int count, int n_threads);
// The N at and above which mul_mat_quant uses the packed (prefill) path: kQGemmMinN when every product has
// interleaved weights with a multi-column kernel (dot_r8_cols) at the current level, kQGemmMinNPlain otherwise.
// Several sequences decoded together (tens of rows) go faster on the decode path: the packed path unpacks every
// weight panel per call, as costly as reading it. Prompts of kQGemmMinN tokens and more keep the packed path.
// Plain rows (one dot per row and column) keep the earlier crossover.
constexpr int64_t kQGemmMinN = 64;
constexpr int64_t kQGemmMinNPlain = 8;

}  // namespace ggml::cpu
