// Run-time-dispatched kernels over contiguous arrays: the hot loops every op is built from. Each has a
// scalar version (vec.cpp) and SIMD versions (vec_avx2.cpp, vec_avx512.cpp, vec_neon.cpp).
#pragma once
#include <cstddef>
#include <cstdint>

#include "backends/cpu/prefetch.h"
#include "ggml/type.h"

namespace ggml::cpu {

void vec_add(int64_t n, float* z, const float* x, const float* y);
void vec_sub(int64_t n, float* z, const float* x, const float* y);
void vec_mul(int64_t n, float* z, const float* x, const float* y);
void vec_div(int64_t n, float* z, const float* x, const float* y);
void vec_scale(int64_t n, float* z, const float* x, float s, float b);  // z = x*s + b
float vec_dot_f32(int64_t n, const float* x, const float* y);
float vec_dot_f16(int64_t n, const uint16_t* x, const float* y);   // x: binary16
float vec_dot_bf16(int64_t n, const uint16_t* x, const float* y);  // x: bfloat16
// Many dots of 16-bit rows at once (decode: attention, f16 / bf16 weights), each equal to single dots:
// rows16: out[j * ldo + i] = dot(n, x row i, y + j * ldy) for i < nx, j < ny: short rows of type t (F16 or
// F32, ldx bytes apart), sixteen at a time (nx a multiple of 16; a kernel for n a multiple of 16, at most
// 256), whose sums come out together;
// block16: out[j * ldo + i] = dot(n, x + i * ldx, y[j]) for i < nx, j < ny, x of type t (F16 or BF16):
// each row of x read once per few rows of y instead of once per row.
// _native: whether this SIMD level has kernels for both, else they are single dots.
// `ahead` (rows16 and mad_rows): lines to ask for while the kernel works, spread over its loop (prefetch.h).
void vec_dot_rows16(Type t, int64_t n, const void* x, size_t ldx, int64_t nx, const float* y, size_t ldy, int ny,
                    float* out, size_t ldo, const PrefetchRows& ahead = {});
void vec_dot_block16(Type t, int64_t n, const uint16_t* x, size_t ldx, int nx, const float* const* y, int ny,
                     float* out, size_t ldo);
bool vec_dot_many_native();
// Weighted sums of rows into accumulators: acc[j * lda + d] += sum_{i < nx} w[j * ldw + i] * x_i[d] for
// d < n, j < ny, where row x_i (type t: F32, F16 or BF16) starts ldx bytes after x_{i-1} (decode
// attention's probabilities times the cached values, each value row read once for every query row).
void vec_mad_rows(Type t, int64_t n, const void* x, size_t ldx, int64_t nx, const float* w, size_t ldw, int ny,
                  float* acc, size_t lda, const PrefetchRows& ahead = {});
double vec_sum_sq(int64_t n, const float* x);  // sum of x^2, accumulated precisely enough for norms
double vec_sum(int64_t n, const float* x);
float vec_max(int64_t n, const float* x);
float vec_exp_sum(int64_t n, float* z, const float* x, float m);  // z = exp(x - m); returns sum(z)
void vec_silu(int64_t n, float* z, const float* x);
void vec_swiglu(int64_t n, float* z, const float* gate, const float* up);  // silu(gate) * up
void vec_f16_to_f32(int64_t n, float* z, const uint16_t* x);
void vec_dequant(Type t, const void* x, float* y, int64_t n);  // a row of block type t (n values) as f32
void vec_f32_to_f16(int64_t n, uint16_t* z, const float* x);
void vec_bf16_to_f32(int64_t n, float* z, const uint16_t* x);
void vec_f32_to_bf16(int64_t n, uint16_t* z, const float* x);

}  // namespace ggml::cpu
