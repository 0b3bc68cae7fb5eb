// GGUF block-quantized formats: byte-exact block layouts, reference (scalar) dequantization that is
// bit-identical to gguf-py's numpy implementation, and error-minimising quantizers.
//
// All f16 fields are IEEE binary16 stored little-endian (as uint16_t bits). Every row length n passed
// to the row functions must be a multiple of the format's block size (32 for the legacy formats, 256
// for the K-quants). The layouts:
//
//   legacy, 32 elements per block (element i of a block; "nibble i" means low nibble of qs[i] for
//   i < 16, high nibble of qs[i-16] otherwise):
//     Q4_0  {f16 d; u8 qs[16]}                y = d * (nibble - 8)
//     Q4_1  {f16 d, m; u8 qs[16]}             y = d * nibble + m
//     Q5_0  {f16 d; u8 qh[4]; u8 qs[16]}      q = nibble | bit i of qh (as u32 LE) << 4; y = d * (q - 16)
//     Q5_1  {f16 d, m; u8 qh[4]; u8 qs[16]}   y = d * q + m
//     Q8_0  {f16 d; i8 qs[32]}                y = d * q
//     Q8_1  {f16 d, s; i8 qs[32]}             y = d * q, s = d * sum(q) (activation format)
//   K-quants, 256 elements per super-block:
//     Q2_K  {u8 scales[16]; u8 qs[64]; f16 d, dmin}   16 groups of 16: y = d*(sc&15)*q - dmin*(sc>>4)
//     Q3_K  {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}   16 groups of 16, 6-bit signed scales
//     Q4_K  {f16 d, dmin; u8 scales[12]; u8 qs[128]}  8 groups of 32, 6-bit scales and mins
//     Q5_K  {f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}
//     Q6_K  {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}     16 groups of 16, 8-bit signed scales
//     Q8_K  {f32 d; i8 qs[256]; i16 bsums[16]}        y = d * q; bsums = sums of groups of 16 qs
// (the exact bit positions are documented next to the packing code in quants_legacy.cpp / quants_k.cpp).
#pragma once
#include <cstddef>
#include <cstdint>

#include "ggml/type.h"

namespace ggml {

constexpr int QK4_0 = 32, QK4_1 = 32, QK5_0 = 32, QK5_1 = 32, QK8_0 = 32, QK8_1 = 32;
constexpr int QK_K = 256;
constexpr int K_SCALE_SIZE = 12;

struct block_q4_0 {
    uint16_t d;
    uint8_t qs[QK4_0 / 2];
};
struct block_q4_1 {
    uint16_t d, m;
    uint8_t qs[QK4_1 / 2];
};
struct block_q5_0 {
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[QK5_0 / 2];
};
struct block_q5_1 {
    uint16_t d, m;
    uint8_t qh[4];
    uint8_t qs[QK5_1 / 2];
};
struct block_q8_0 {
    uint16_t d;
    int8_t qs[QK8_0];
};
struct block_q8_1 {
    uint16_t d;  // scale
    uint16_t s;  // d * sum(qs)
    int8_t qs[QK8_1];
};
struct block_q2_K {
    uint8_t scales[QK_K / 16];  // low nibble: scale, high nibble: min, per group of 16
    uint8_t qs[QK_K / 4];       // 2-bit codes
    uint16_t d, dmin;
};
struct block_q3_K {
    uint8_t hmask[QK_K / 8];  // high bit of each 3-bit code (set: no -4 offset)
    uint8_t qs[QK_K / 4];     // low 2 bits of each code
    uint8_t scales[12];       // 16 6-bit scales, biased by 32
    uint16_t d;
};
struct block_q4_K {
    uint16_t d, dmin;
    uint8_t scales[K_SCALE_SIZE];  // 8 6-bit scales and 8 6-bit mins
    uint8_t qs[QK_K / 2];
};
struct block_q5_K {
    uint16_t d, dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qh[QK_K / 8];
    uint8_t qs[QK_K / 2];
};
struct block_q6_K {
    uint8_t ql[QK_K / 2];  // low 4 bits
    uint8_t qh[QK_K / 4];  // high 2 bits
    int8_t scales[QK_K / 16];
    uint16_t d;
};
struct block_q8_K {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
};

static_assert(sizeof(block_q4_0) == 18, "q4_0 block size");
static_assert(sizeof(block_q4_1) == 20, "q4_1 block size");
static_assert(sizeof(block_q5_0) == 22, "q5_0 block size");
static_assert(sizeof(block_q5_1) == 24, "q5_1 block size");
static_assert(sizeof(block_q8_0) == 34, "q8_0 block size");
static_assert(sizeof(block_q8_1) == 36, "q8_1 block size");
static_assert(sizeof(block_q2_K) == 84, "q2_K block size");
static_assert(sizeof(block_q3_K) == 110, "q3_K block size");
static_assert(sizeof(block_q4_K) == 144, "q4_K block size");
static_assert(sizeof(block_q5_K) == 176, "q5_K block size");
static_assert(sizeof(block_q6_K) == 210, "q6_K block size");
static_assert(sizeof(block_q8_K) == 292, "q8_K block size");

// Dequantize n elements (n / block_size blocks) into y. Bit-identical to gguf.quants.dequantize.
void dequantize_row_q4_0(const void* blocks, float* y, int64_t n);
void dequantize_row_q4_1(const void* blocks, float* y, int64_t n);
void dequantize_row_q5_0(const void* blocks, float* y, int64_t n);
void dequantize_row_q5_1(const void* blocks, float* y, int64_t n);
void dequantize_row_q8_0(const void* blocks, float* y, int64_t n);
void dequantize_row_q8_1(const void* blocks, float* y, int64_t n);
void dequantize_row_q2_K(const void* blocks, float* y, int64_t n);
void dequantize_row_q3_K(const void* blocks, float* y, int64_t n);
void dequantize_row_q4_K(const void* blocks, float* y, int64_t n);
void dequantize_row_q5_K(const void* blocks, float* y, int64_t n);
void dequantize_row_q6_K(const void* blocks, float* y, int64_t n);
void dequantize_row_q8_K(const void* blocks, float* y, int64_t n);

// Quantize n elements of x into n / block_size blocks. Finite input gives finite blocks; the scale
// search minimises the squared error (never worse than the plain min/max or max-abs choice).
void quantize_row_q4_0(const float* x, void* blocks, int64_t n);
void quantize_row_q4_1(const float* x, void* blocks, int64_t n);
void quantize_row_q5_0(const float* x, void* blocks, int64_t n);
void quantize_row_q5_1(const float* x, void* blocks, int64_t n);
void quantize_row_q8_0(const float* x, void* blocks, int64_t n);
void quantize_row_q8_1(const float* x, void* blocks, int64_t n);  // activations: plain max-abs
void quantize_row_q2_K(const float* x, void* blocks, int64_t n);
void quantize_row_q3_K(const float* x, void* blocks, int64_t n);
void quantize_row_q4_K(const float* x, void* blocks, int64_t n);
void quantize_row_q5_K(const float* x, void* blocks, int64_t n);
void quantize_row_q6_K(const float* x, void* blocks, int64_t n);
void quantize_row_q8_K(const float* x, void* blocks, int64_t n);  // activations: plain max-abs

// Bytes of one row of n elements of type t (n a multiple of the block size); 0 for an unknown type.
size_t quant_row_size(Type t, int64_t n);

// Matrix conversions through the type table's from_float / to_float (any type that has them, quantized
// or not), parallel over rows with OpenMP (n_threads <= 0: OpenMP's default). Rows are contiguous:
// src/dst row r starts at r * n_per_row floats / r * quant_row_size(t, n_per_row) bytes. Return the
// bytes written (quantize) or read (dequantize); 0 when t has no conversion or n_per_row is not a
// multiple of the block size (nothing is written then).
size_t quantize_rows(Type t, const float* src, void* dst, int64_t n_rows, int64_t n_per_row, int n_threads);
size_t dequantize_rows(Type t, const void* src, float* dst, int64_t n_rows, int64_t n_per_row, int n_threads);

}  // namespace ggml
