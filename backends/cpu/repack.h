// Interleaved weight layouts for decode (matrix x vector). A plain quantized row keeps each block's
// scale next to its codes, so a one-row dot spends most of its instructions per block on scalar scale
// handling and on reducing lanes. In the interleaved ("r8") layouts 8 consecutive rows form a group
// whose blocks are stored side by side: the 8 rows' scales load as one vector, every 32-bit lane of a
// code vector belongs to one row, and one broadcast activation word feeds all 8 rows, so the 8 dots
// come out in the 8 lanes without any horizontal work (see the kernels in quant_dot_x86.inl).
//
// A group of 8 rows occupies 8 x repacked_row_bytes: exactly the bytes of 8 plain rows for Q4_0, Q5_0, Q8_0 and Q6_K, 4 bytes
// more per row and 256 k (2.8 %) for Q4_K (its 6-bit scales and mins unpacked to bytes). A repacked
// tensor's nb[1] is repacked_row_bytes, so group g starts at row 8g's offset.
//
// Q4_0 group, per 32-element block b (144 bytes): fp16 d[8] (row r's scale), then 4 x 32 code bytes:
//   byte [j][r][i] (j 0..3, r 0..7, i 0..3) = code(r, 32b + 8j + i) | code(r, 32b + 8j + 4 + i) << 4.
// Q5_0 group, per 32-element block b (176 bytes): fp16 d[8], the low 4 bits of the codes laid out as
//   Q4_0's (128 bytes), then 32 bytes of fifth bits: byte [r][i] holds bit 4 of code(r, 32b + 8j + i) at
//   bit 2j and of code(r, 32b + 8j + 4 + i) at bit 2j + 1 (j 0..3), beside the code bytes it completes.
// Q8_0 group, per 32-element block b (272 bytes): fp16 d[8], then 8 x 32 code bytes:
//   byte [j][r][i] (j 0..7, r 0..7, i 0..3) = code(r, 32b + 4j + i) (int8, as in the plain block).
// Q4_K group, per 256-element super-block (1184 bytes): fp16 d[8], fp16 dmin[8], u8 scale[8 sub][8 rows],
//   u8 min[4 pairs][8 rows][2] (the mins of sub-blocks 2p and 2p+1 side by side), then per 32-element
//   sub-block the 128 code bytes laid out as Q4_0's.
// Q6_K group, per 256-element super-block (1680 bytes = 8 plain blocks): fp16 d[8], int8 scale[8 sub][8
//   rows][2] (the scales of the sub-block's two 16-element halves), then per 32-element sub-block the low
//   4 bits of the codes laid out as Q4_0's (128 bytes) and their high 2 bits (64 bytes): byte [t][r][i]
//   (t 0..1) holds those of codes 8j + i at bits 4(j - 2t) and 8j + 4 + i at bits 4(j - 2t) + 2, j = 2t, 2t + 1.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ggml/tensor.h"
#include "ggml/type.h"

namespace ggml::cpu {

constexpr int kRepackRows = 8;
// Bytes of one group per block (the layouts above): Q4_0, Q5_0 and Q8_0 per 32 k, Q4_K and Q6_K per 256 k.
constexpr size_t kQ4_0GroupBytes = 144, kQ5_0GroupBytes = 176, kQ8_0GroupBytes = 272, kQ4_KGroupBytes = 1184, kQ6_KGroupBytes = 1680;

// True when weights of type t, shape [K, M], can be interleaved and the current SIMD level has the
// interleaved decode kernel (on other levels the plain layout is faster).
bool repack_supported(Type t, int64_t K, int64_t M);
// Bytes per row of the interleaved form (an eighth of a group).
size_t repacked_row_bytes(Type t, int64_t K);
// Interleaves M plain rows of K elements (M a multiple of 8) from src into dst, with n_threads threads.
void repack_rows(Type t, const void* src, void* dst, int64_t K, int64_t M, int n_threads);
// Interleaves the 2-D tensor t (plain rows at t->data) into dst (repacked_row_bytes x ne[1] bytes) and points
// t there: data and strides (nb[1] = repacked_row_bytes). The caller sets t->buffer to a buffer of the
// repacked layout (the CPU backend's prepare_product_weights does all of it).
void repack_tensor(Tensor* t, void* dst, int n_threads);
// The CPU buffers' layout name for interleaved weights, and whether t lives in such a buffer: then only
// the CPU's mul_mat reads it, as its weights (src[0]).
constexpr const char* kRepackedLayout = "repacked";
bool is_repacked(const Tensor* t);
// Prefill reads interleaved groups without going back to plain rows: chunks [c0, c0 + nc) (32 k each) of
// one group of type t (one of the five above) written as a prefill weight panel (quant_dot.h).
void repacked_to_panel(Type t, const void* group, int64_t c0, int64_t nc, uint8_t* dst);
// The 8 plain rows of one interleaved group (dst: 8 rows of row_size(t, K) bytes, back to back).
void unrepack_group(Type t, const void* group, void* dst, int64_t K);

}  // namespace ggml::cpu
