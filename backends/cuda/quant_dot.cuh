// Integer dot products of the GGUF block types against 8-bit activations: mul_mat's decode path, where
// reading the weights sets the pace and four byte products per instruction (__dp4a) keep the arithmetic
// out of its way.
//
// Activations (ActUnit): each 32 values of a column quantized exactly as the CPU's Q8_0 activations
// (quantize_act_q8_0_ref in backends/cpu/quant_dot.cpp): d = max|x| / 127, codes = nearest-even(x / d)
// computed with the f32 d, then d kept as its f16 value. The codes' sums per 16 come with them.
//
// Weights (WeightUnit): 32 consecutive elements of a row, unit_codes<T>(block, u, w) for unit u of a
// block (u = 0 for the 32-element types, 0..7 for the K-quants): the codes as 8 words of 4 bytes (elements
// 0..15 in words 0..3, 16..31 in 4..7; every code in 0..127 but Q8_0's, which are signed) and, per half h
// of 16 elements, a scale and a min term with which
//   sum_i w_i * a_i = d_a * sum_h (scale_h * (dot_h + kOffset * sum_h) + min_h * sum_h)
// where dot_h is the integer dot of the half's weight and activation codes and sum_h the activation codes'
// sum. A constant code offset (Q4_0's -8, Q6_K's -32, ...) stays in the integers; min terms (Q4_1's m, the
// K-quants' -dmin * min) exist only where kUnitHasMin says. Layouts as dequant.cuh reads them.
#pragma once
#include <cstdint>

#include "backends/cuda/dequant.cuh"

namespace ggml::GIRAFFE_CUDA_NS {

struct alignas(16) ActUnit {
    int q[8];    // 32 codes, 4 to a word, element 4i + k in byte k of word i
    float d;     // the scale, an f16 value
    int sum[2];  // codes 0..15 and 16..31 added up
    int pad;
};
static_assert(sizeof(ActUnit) == 48, "three 16-byte loads");

struct WeightUnit {
    int q[8];
    float scale[2], min[2];
};

// The constant code offset of a unit's codes, and whether it has min terms.
template <uint32_t T>
constexpr int kUnitOffset = T == kTypeQ4_0 ? -8 : T == kTypeQ5_0 ? -16 : T == kTypeQ3_K ? -4 : T == kTypeQ6_K ? -32 : 0;
template <uint32_t T>
constexpr bool kUnitHasMin = T == kTypeQ4_1 || T == kTypeQ5_1 || T == kTypeQ2_K || T == kTypeQ4_K || T == kTypeQ5_K;

namespace qd {

using dq::f16;
using dq::u32;
using dq::u8;

constexpr uint32_t kLow4 = 0x0F0F0F0Fu, kLow2 = 0x03030303u, kLow1 = 0x01010101u;

// Bits 0..3 of x moved to bit 4 of bytes 0..3: a Q5 block's fifth bits for four elements.
__device__ __forceinline__ int fifth_bits(uint32_t x) {
    return int(((x & 1u) << 4) | ((x & 2u) << 11) | ((x & 4u) << 18) | ((x & 8u) << 25));
}

// The 16 bytes at q (2-byte aligned) as 32 nibbles: low nibbles are elements 0..15, high ones 16..31.
__device__ __forceinline__ void nibbles32(const char* q, int out[8]) {
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const uint32_t w = u32(q + 4 * i);
        out[i] = int(w & kLow4);
        out[4 + i] = int((w >> 4) & kLow4);
    }
}

// The Q5 fifth bits of qh (bit e: element e) added to nibbles32's codes.
__device__ __forceinline__ void add_fifth_bits(uint32_t qh, int q[8]) {
#pragma unroll
    for (int i = 0; i < 8; i++) q[i] |= fifth_bits(qh >> (4 * i));
}

// Bits sh, sh + 1, ... (mask m) of each of the 32 bytes at p (2-byte aligned).
__device__ __forceinline__ void fields32(const char* p, int sh, uint32_t m, int out[8]) {
#pragma unroll
    for (int i = 0; i < 8; i++) out[i] = int((u32(p + 4 * i) >> sh) & m);
}

__device__ __forceinline__ void same_scale(WeightUnit& w, float s, float m) {
    w.scale[0] = w.scale[1] = s;
    w.min[0] = w.min[1] = m;
}

}  // namespace qd

template <uint32_t T> __device__ __forceinline__ void unit_codes(const char* b, int u, WeightUnit& w);

// Q4_0: d@0, qs@2.
template <> __device__ __forceinline__ void unit_codes<kTypeQ4_0>(const char* b, int, WeightUnit& w) {
    qd::nibbles32(b + 2, w.q);
    qd::same_scale(w, qd::f16(b), 0.0f);
}

// Q4_1: d@0, m@2, qs@4.
template <> __device__ __forceinline__ void unit_codes<kTypeQ4_1>(const char* b, int, WeightUnit& w) {
    qd::nibbles32(b + 4, w.q);
    qd::same_scale(w, qd::f16(b), qd::f16(b + 2));
}

// Q5_0: d@0, qh@2, qs@6.
template <> __device__ __forceinline__ void unit_codes<kTypeQ5_0>(const char* b, int, WeightUnit& w) {
    qd::nibbles32(b + 6, w.q);
    qd::add_fifth_bits(qd::u32(b + 2), w.q);
    qd::same_scale(w, qd::f16(b), 0.0f);
}

// Q5_1: d@0, m@2, qh@4, qs@8.
template <> __device__ __forceinline__ void unit_codes<kTypeQ5_1>(const char* b, int, WeightUnit& w) {
    qd::nibbles32(b + 8, w.q);
    qd::add_fifth_bits(qd::u32(b + 4), w.q);
    qd::same_scale(w, qd::f16(b), qd::f16(b + 2));
}

// Q8_0: d@0, qs@2 (signed codes).
template <> __device__ __forceinline__ void unit_codes<kTypeQ8_0>(const char* b, int, WeightUnit& w) {
#pragma unroll
    for (int i = 0; i < 8; i++) w.q[i] = int(qd::u32(b + 2 + 4 * i));
    qd::same_scale(w, qd::f16(b), 0.0f);
}

// Q2_K: scales@0 (per 16: low nibble scale, high nibble min), qs@16 (unit u: bits 2(u % 4) of the 32 bytes
// at (u / 4) * 32), d@80, dmin@82.
template <> __device__ __forceinline__ void unit_codes<kTypeQ2_K>(const char* b, int u, WeightUnit& w) {
    qd::fields32(b + 16 + (u / 4) * 32, 2 * (u % 4), qd::kLow2, w.q);
    const float d = qd::f16(b + 80), dmin = qd::f16(b + 82);
#pragma unroll
    for (int h = 0; h < 2; h++) {
        const uint32_t sc = qd::u8(b + 2 * u + h);
        w.scale[h] = d * float(int(sc & 15u));
        w.min[h] = -(dmin * float(int(sc >> 4)));
    }
}

// Q3_K: hmask@0 (unit u: bit u of the 32 bytes), qs@32 (as Q2_K's), scales@96 (6-bit, biased by 32),
// d@108. Codes low + 4 * high in 0..7, offset -4.
template <> __device__ __forceinline__ void unit_codes<kTypeQ3_K>(const char* b, int u, WeightUnit& w) {
    qd::fields32(b + 32 + (u / 4) * 32, 2 * (u % 4), qd::kLow2, w.q);
#pragma unroll
    for (int i = 0; i < 8; i++) w.q[i] |= int(((qd::u32(b + 4 * i) >> u) & qd::kLow1) << 2);
    const float d = qd::f16(b + 108);
#pragma unroll
    for (int h = 0; h < 2; h++) {
        const int g = 2 * u + h;
        const int lo = g < 8 ? int(qd::u8(b + 96 + g) & 15u) : int(qd::u8(b + 96 + g - 8) >> 4);
        const int hi = int((qd::u8(b + 104 + (g & 3)) >> (2 * (g / 4))) & 3u);
        w.scale[h] = d * float((lo | (hi << 4)) - 32);
        w.min[h] = 0.0f;
    }
}

// Q4_K: d@0, dmin@2, scales@4, qs@16 (unit u: nibble u % 2 of the 32 bytes at (u / 2) * 32).
template <> __device__ __forceinline__ void unit_codes<kTypeQ4_K>(const char* b, int u, WeightUnit& w) {
    qd::fields32(b + 16 + (u / 2) * 32, 4 * (u % 2), qd::kLow4, w.q);
    int sc, mn;
    dq::scale_min_k4(b + 4, u, &sc, &mn);
    qd::same_scale(w, qd::f16(b) * float(sc), -(qd::f16(b + 2) * float(mn)));
}

// Q5_K: Q4_K with qh@16 (unit u: bit u of the 32 bytes, the fifth bit) and qs@48.
template <> __device__ __forceinline__ void unit_codes<kTypeQ5_K>(const char* b, int u, WeightUnit& w) {
    qd::fields32(b + 48 + (u / 2) * 32, 4 * (u % 2), qd::kLow4, w.q);
#pragma unroll
    for (int i = 0; i < 8; i++) w.q[i] |= int(((qd::u32(b + 16 + 4 * i) >> u) & qd::kLow1) << 4);
    int sc, mn;
    dq::scale_min_k4(b + 4, u, &sc, &mn);
    qd::same_scale(w, qd::f16(b) * float(sc), -(qd::f16(b + 2) * float(mn)));
}

// Q6_K: ql@0 (unit u: nibble (u / 2) % 2 of the 32 bytes at (u / 4) * 64 + (u % 2) * 32), qh@128 (bits
// 2(u % 4) of the 32 bytes at (u / 4) * 32), scales@192 (i8 per 16), d@208. Codes in 0..63, offset -32.
template <> __device__ __forceinline__ void unit_codes<kTypeQ6_K>(const char* b, int u, WeightUnit& w) {
    qd::fields32(b + (u / 4) * 64 + (u % 2) * 32, 4 * ((u / 2) % 2), qd::kLow4, w.q);
#pragma unroll
    for (int i = 0; i < 8; i++)
        w.q[i] |= int(((qd::u32(b + 128 + (u / 4) * 32 + 4 * i) >> (2 * (u % 4))) & qd::kLow2) << 4);
    const float d = qd::f16(b + 208);
#pragma unroll
    for (int h = 0; h < 2; h++) {
        w.scale[h] = d * float(dq::i8(b + 192 + 2 * u + h));
        w.min[h] = 0.0f;
    }
}

// Unit u (0 .. K / 32 - 1) of a row whose blocks start at row.
template <uint32_t T>
__device__ __forceinline__ void row_unit(const char* row, int64_t u, WeightUnit& w) {
    constexpr int kUnits = TypeInfo<T>::kBlock / 32;  // per block
    unit_codes<T>(row + (u / kUnits) * TypeInfo<T>::kBytes, int(u % kUnits), w);
}

// An ActUnit in three 16-byte loads (a plain copy of the struct loads its fields one by one).
__device__ __forceinline__ ActUnit load_act(const ActUnit* p) {
    const uint4* v = reinterpret_cast<const uint4*>(p);
    const uint4 q0 = v[0], q1 = v[1], t = v[2];
    ActUnit a;
    a.q[0] = int(q0.x), a.q[1] = int(q0.y), a.q[2] = int(q0.z), a.q[3] = int(q0.w);
    a.q[4] = int(q1.x), a.q[5] = int(q1.y), a.q[6] = int(q1.z), a.q[7] = int(q1.w);
    a.d = __uint_as_float(t.x), a.sum[0] = int(t.y), a.sum[1] = int(t.z), a.pad = int(t.w);
    return a;
}

// sum_i w_i * a_i over one unit, as the header describes.
template <uint32_t T>
__device__ __forceinline__ float unit_dot(const WeightUnit& w, const ActUnit& a) {
    int s[2] = {0, 0};
#pragma unroll
    for (int i = 0; i < 8; i++) s[i / 4] = __dp4a(w.q[i], a.q[i], s[i / 4]);
    constexpr int off = kUnitOffset<T>;
    float r = w.scale[0] * float(s[0] + off * a.sum[0]) + w.scale[1] * float(s[1] + off * a.sum[1]);
    if constexpr (kUnitHasMin<T>) r += w.min[0] * float(a.sum[0]) + w.min[1] * float(a.sum[1]);
    return a.d * r;
}

}  // namespace ggml::GIRAFFE_CUDA_NS
