// Device decoding of every weight type mul_mat, get_rows and flash_attn read: f32, f16, bf16 and the GGUF
// block types (layouts in ggml/quants.h). Bit-identical to the CPU reference (dequantize_row_* in
// ggml/quants_legacy.cpp and quants_k.cpp): the same float operations in the same order, products and
// sums rounded separately (__fmul_rn / __fadd_rn: nvcc would otherwise fuse d * q - m into one FMA).
//
//   TypeInfo<T>::kBlock / kBytes   elements and bytes per block (1 and 4 / 2 for the float types)
//   dequant8<T>(row, i, out)       elements i .. i+7 of a row whose blocks start at `row` (i % 8 == 0,
//                                  i + 8 <= the row's length: block types have whole blocks of 32 or 256)
//   dequant1(type, row, i)         element i, any type, runtime type id (slow path)
//   with_weight_type(type, f)      host: calls f(std::integral_constant<uint32_t, T>{}) for the runtime id,
//                                  so that a kernel templated on T is launched for a tensor's type
//
// Blocks are byte-packed (18, 20, ... 210 bytes), so only 2-byte alignment holds: the 8 quant bytes a
// chunk needs always start at an even offset of the block and are read as four 16-bit words.
#pragma once
#include <cstdint>
#include <type_traits>

#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {

// GGUF ids of the block types (ggml/type.h); the float ones are in common.cuh.
constexpr uint32_t kTypeQ4_0 = 2, kTypeQ4_1 = 3, kTypeQ5_0 = 6, kTypeQ5_1 = 7, kTypeQ8_0 = 8;
constexpr uint32_t kTypeQ2_K = 10, kTypeQ3_K = 11, kTypeQ4_K = 12, kTypeQ5_K = 13, kTypeQ6_K = 14;

// X(id) once per weight type: the one list the runtime switches below are generated from.
#define GGML_CUDA_WEIGHT_TYPES(X) X(0) X(1) X(30) X(2) X(3) X(6) X(7) X(8) X(10) X(11) X(12) X(13) X(14)

template <uint32_t T> struct TypeInfo;
#define GGML_CUDA_TYPE_INFO(ID, QK, BYTES)                                                                     \
    template <> struct TypeInfo<ID> {                                                                        \
        static constexpr int kBlock = QK, kBytes = BYTES;                                                    \
    };
GGML_CUDA_TYPE_INFO(kTypeF32, 1, 4)
GGML_CUDA_TYPE_INFO(kTypeF16, 1, 2)
GGML_CUDA_TYPE_INFO(kTypeBF16, 1, 2)
GGML_CUDA_TYPE_INFO(kTypeQ4_0, 32, 18)
GGML_CUDA_TYPE_INFO(kTypeQ4_1, 32, 20)
GGML_CUDA_TYPE_INFO(kTypeQ5_0, 32, 22)
GGML_CUDA_TYPE_INFO(kTypeQ5_1, 32, 24)
GGML_CUDA_TYPE_INFO(kTypeQ8_0, 32, 34)
GGML_CUDA_TYPE_INFO(kTypeQ2_K, 256, 84)
GGML_CUDA_TYPE_INFO(kTypeQ3_K, 256, 110)
GGML_CUDA_TYPE_INFO(kTypeQ4_K, 256, 144)
GGML_CUDA_TYPE_INFO(kTypeQ5_K, 256, 176)
GGML_CUDA_TYPE_INFO(kTypeQ6_K, 256, 210)
#undef GGML_CUDA_TYPE_INFO

// Host and device: whether `type` is one of the weight types above.
__host__ __device__ constexpr bool is_weight_type(uint32_t type) {
    switch (type) {
#define GGML_CUDA_CASE(ID) case ID:
        GGML_CUDA_WEIGHT_TYPES(GGML_CUDA_CASE)
#undef GGML_CUDA_CASE
        return true;
    default:
        return false;
    }
}

// Host: f(std::integral_constant<uint32_t, T>{}) for the weight type `type`; false (f not called) for any
// other type. Launch a kernel templated on T inside f: `constexpr uint32_t T = decltype(tag)::value;`.
template <class F>
bool with_weight_type(uint32_t type, F&& f) {
    switch (type) {
#define GGML_CUDA_CASE(ID)                         \
    case ID:                                       \
        f(std::integral_constant<uint32_t, ID>{}); \
        return true;
        GGML_CUDA_WEIGHT_TYPES(GGML_CUDA_CASE)
#undef GGML_CUDA_CASE
    default:
        return false;
    }
}

namespace dq {

__device__ __forceinline__ uint32_t u8(const char* p) { return uint32_t(*reinterpret_cast<const uint8_t*>(p)); }
__device__ __forceinline__ int32_t i8(const char* p) { return int32_t(*reinterpret_cast<const int8_t*>(p)); }
__device__ __forceinline__ uint32_t u16(const char* p) { return uint32_t(*reinterpret_cast<const uint16_t*>(p)); }
// An f16 field (2-byte aligned); the conversion is exact, as the CPU's fp16_to_fp32.
__device__ __forceinline__ float f16(const char* p) {
    return __half2float(__ushort_as_half(static_cast<unsigned short>(u16(p))));
}
// Four bytes at an even address, little-endian.
__device__ __forceinline__ uint32_t u32(const char* p) { return u16(p) | (u16(p + 2) << 16); }
// Eight bytes at an even address: x = bytes 0..3, y = bytes 4..7.
__device__ __forceinline__ uint2 bytes8(const char* p) { return make_uint2(u32(p), u32(p + 4)); }
// Byte j (0..7, unrolled) of q.
__device__ __forceinline__ uint32_t byte_of(uint2 q, int j) { return ((j < 4 ? q.x : q.y) >> (8 * (j & 3))) & 0xFFu; }
// d * q + m and d * q - m rounded after each operation, as the CPU computes them.
__device__ __forceinline__ float mul_add(float d, float q, float m) { return __fadd_rn(__fmul_rn(d, q), m); }
__device__ __forceinline__ float mul_sub(float d, float q, float m) { return __fsub_rn(__fmul_rn(d, q), m); }

// Elements e .. e+7 (e % 8 == 0) of the block at b.
template <uint32_t T> __device__ __forceinline__ void block8(const char* b, int e, float out[8]);

template <> __device__ __forceinline__ void block8<kTypeQ4_0>(const char* b, int e, float out[8]) {
    const float d = f16(b);
    const uint2 q = bytes8(b + 2 + (e & 15));  // element e: nibble of qs[e % 16], high for e >= 16
    const int sh = e >= 16 ? 4 : 0;
#pragma unroll
    for (int j = 0; j < 8; j++) out[j] = d * float(int((byte_of(q, j) >> sh) & 15u) - 8);
}

template <> __device__ __forceinline__ void block8<kTypeQ4_1>(const char* b, int e, float out[8]) {
    const float d = f16(b), m = f16(b + 2);
    const uint2 q = bytes8(b + 4 + (e & 15));
    const int sh = e >= 16 ? 4 : 0;
#pragma unroll
    for (int j = 0; j < 8; j++) out[j] = mul_add(d, float((byte_of(q, j) >> sh) & 15u), m);
}

// The 5-bit codes of elements e .. e+7 of a Q5 block whose qh (u32, bit i: element i) is at h.
__device__ __forceinline__ void q5_codes(const char* h, int e, int code[8]) {
    const uint32_t qh = u32(h);
    const uint2 q = bytes8(h + 4 + (e & 15));
    const int sh = e >= 16 ? 4 : 0;
#pragma unroll
    for (int j = 0; j < 8; j++) code[j] = int(((byte_of(q, j) >> sh) & 15u) | (((qh >> (e + j)) & 1u) << 4));
}

template <> __device__ __forceinline__ void block8<kTypeQ5_0>(const char* b, int e, float out[8]) {
    const float d = f16(b);
    int code[8];
    q5_codes(b + 2, e, code);
#pragma unroll
    for (int j = 0; j < 8; j++) out[j] = d * float(code[j] - 16);
}

template <> __device__ __forceinline__ void block8<kTypeQ5_1>(const char* b, int e, float out[8]) {
    const float d = f16(b), m = f16(b + 2);
    int code[8];
    q5_codes(b + 4, e, code);
#pragma unroll
    for (int j = 0; j < 8; j++) out[j] = mul_add(d, float(code[j]), m);
}

template <> __device__ __forceinline__ void block8<kTypeQ8_0>(const char* b, int e, float out[8]) {
    const float d = f16(b);
    const uint2 q = bytes8(b + 2 + e);
#pragma unroll
    for (int j = 0; j < 8; j++) out[j] = float(int(int8_t(uint8_t(byte_of(q, j))))) * d;
}

// Q2_K: scales@0 (low nibble scale, high nibble min, per 16), qs@16, d@80, dmin@82.
template <> __device__ __forceinline__ void block8<kTypeQ2_K>(const char* b, int e, float out[8]) {
    const float d = f16(b + 80), dmin = f16(b + 82);
    const uint32_t sc = u8(b + e / 16);  // the 8 elements share one group of 16
    const float dl = d * float(int(sc & 15u)), ml = dmin * float(int(sc >> 4));
    const uint2 q = bytes8(b + 16 + (e / 128) * 32 + (e & 31));
    const int sh = 2 * ((e / 32) & 3);
#pragma unroll
    for (int j = 0; j < 8; j++) out[j] = mul_sub(dl, float(int((byte_of(q, j) >> sh) & 3u)), ml);
}

// Q3_K: hmask@0, qs@32, scales@96 (16 6-bit scales biased by 32: low 4 bits in bytes 0..7, the high 2 in
// bytes 8..11), d@108.
template <> __device__ __forceinline__ void block8<kTypeQ3_K>(const char* b, int e, float out[8]) {
    const float d = f16(b + 108);
    const int g = e / 16;
    const int lo = g < 8 ? int(u8(b + 96 + g) & 15u) : int(u8(b + 96 + g - 8) >> 4);
    const int hi = int((u8(b + 104 + (g & 3)) >> (2 * (g / 4))) & 3u);
    const float dl = d * float((lo | (hi << 4)) - 32);
    const uint2 q = bytes8(b + 32 + (e / 128) * 32 + (e & 31));
    const int sh = 2 * ((e / 32) & 3);
    const uint2 h = bytes8(b + (e & 31));
    const int hs = e / 32;
#pragma unroll
    for (int j = 0; j < 8; j++) {
        const int low = int((byte_of(q, j) >> sh) & 3u), high = int((byte_of(h, j) >> hs) & 1u);
        out[j] = dl * float(low + 4 * high - 4);
    }
}

// Q4_K / Q5_K: scale and min of group g (0..7) from the 12 packed bytes at s (6 bits each).
__device__ __forceinline__ void scale_min_k4(const char* s, int g, int* sc, int* mn) {
    if (g < 4) {
        *sc = int(u8(s + g) & 63u);
        *mn = int(u8(s + g + 4) & 63u);
    } else {
        const uint32_t x = u8(s + g + 4);
        *sc = int((x & 15u) | ((u8(s + g - 4) >> 6) << 4));
        *mn = int((x >> 4) | ((u8(s + g) >> 6) << 4));
    }
}

// Q4_K: d@0, dmin@2, scales@4, qs@16 (groups of 32; a byte holds group 2p low, group 2p+1 high).
template <> __device__ __forceinline__ void block8<kTypeQ4_K>(const char* b, int e, float out[8]) {
    const float d = f16(b), dmin = f16(b + 2);
    const int g = e / 32;
    int sc, mn;
    scale_min_k4(b + 4, g, &sc, &mn);
    const float ds = d * float(sc), dm = dmin * float(mn);
    const uint2 q = bytes8(b + 16 + (e / 64) * 32 + (e & 31));
    const int sh = 4 * (g & 1);
#pragma unroll
    for (int j = 0; j < 8; j++) out[j] = mul_sub(ds, float(int((byte_of(q, j) >> sh) & 15u)), dm);
}

// Q5_K: Q4_K with qh@16 (bit g of qh[e % 32]: the fifth bit) and qs@48.
template <> __device__ __forceinline__ void block8<kTypeQ5_K>(const char* b, int e, float out[8]) {
    const float d = f16(b), dmin = f16(b + 2);
    const int g = e / 32;
    int sc, mn;
    scale_min_k4(b + 4, g, &sc, &mn);
    const float ds = d * float(sc), dm = dmin * float(mn);
    const uint2 q = bytes8(b + 48 + (e / 64) * 32 + (e & 31));
    const uint2 h = bytes8(b + 16 + (e & 31));
    const int sh = 4 * (g & 1);
#pragma unroll
    for (int j = 0; j < 8; j++) {
        const int code = int(((byte_of(q, j) >> sh) & 15u) | (((byte_of(h, j) >> g) & 1u) << 4));
        out[j] = mul_sub(ds, float(code), dm);
    }
}

// Q6_K: ql@0 (low 4 bits), qh@128 (high 2 bits), scales@192 (i8 per 16), d@208.
template <> __device__ __forceinline__ void block8<kTypeQ6_K>(const char* b, int e, float out[8]) {
    const float d = f16(b + 208);
    const float dl = d * float(i8(b + 192 + e / 16));
    const uint2 l = bytes8(b + (e / 128) * 64 + (e & 63));
    const int ls = 4 * ((e / 64) & 1);
    const uint2 h = bytes8(b + 128 + (e / 128) * 32 + (e & 31));
    const int hs = 2 * ((e / 32) & 3);
#pragma unroll
    for (int j = 0; j < 8; j++) {
        const int lo = int((byte_of(l, j) >> ls) & 15u), hi = int((byte_of(h, j) >> hs) & 3u);
        out[j] = dl * float((lo | (hi << 4)) - 32);
    }
}

// Eight f16 / bf16 values at p (2-byte aligned; one 16-byte load when p allows it).
template <bool kBF16>
__device__ __forceinline__ void halves8(const char* p, float out[8]) {
    uint32_t w[4];
    if ((reinterpret_cast<uintptr_t>(p) & 15u) == 0) {
        const uint4 v = *reinterpret_cast<const uint4*>(p);
        w[0] = v.x, w[1] = v.y, w[2] = v.z, w[3] = v.w;
    } else {
#pragma unroll
        for (int j = 0; j < 4; j++) w[j] = u32(p + 4 * j);
    }
#pragma unroll
    for (int j = 0; j < 8; j++) {
        const uint32_t h = (w[j / 2] >> (16 * (j & 1))) & 0xFFFFu;
        out[j] = kBF16 ? __uint_as_float(h << 16) : __half2float(__ushort_as_half(static_cast<unsigned short>(h)));
    }
}

}  // namespace dq

template <uint32_t T>
__device__ __forceinline__ void dequant8(const char* row, int64_t i, float out[8]) {
    if constexpr (T == kTypeF32) {
        const char* p = row + i * 4;
        if ((reinterpret_cast<uintptr_t>(p) & 15u) == 0) {
            const float4 v0 = reinterpret_cast<const float4*>(p)[0], v1 = reinterpret_cast<const float4*>(p)[1];
            out[0] = v0.x, out[1] = v0.y, out[2] = v0.z, out[3] = v0.w;
            out[4] = v1.x, out[5] = v1.y, out[6] = v1.z, out[7] = v1.w;
        } else {
#pragma unroll
            for (int j = 0; j < 8; j++) out[j] = reinterpret_cast<const float*>(p)[j];
        }
    } else if constexpr (T == kTypeF16 || T == kTypeBF16) {
        dq::halves8<T == kTypeBF16>(row + i * 2, out);
    } else {
        constexpr int qk = TypeInfo<T>::kBlock;
        dq::block8<T>(row + (i / qk) * TypeInfo<T>::kBytes, int(i % qk), out);
    }
}

// One element (slow path: a block type decodes the 8-element chunk around it).
__device__ inline float dequant1(uint32_t type, const char* row, int64_t i) {
    if (type == kTypeF32 || type == kTypeF16 || type == kTypeBF16)
        return load_float(type, row + i * (type == kTypeF32 ? 4 : 2));
    float v[8];
    switch (type) {
#define GGML_CUDA_CASE(ID)                    \
    case ID:                                  \
        dequant8<ID>(row, i & ~int64_t(7), v); \
        break;
        GGML_CUDA_WEIGHT_TYPES(GGML_CUDA_CASE)
#undef GGML_CUDA_CASE
    default:
        return __int_as_float(0x7FC00000);  // not a weight type
    }
    float r = 0.0f;
#pragma unroll
    for (int j = 0; j < 8; j++)  // a select, not an indexed local array
        if (j == int(i & 7)) r = v[j];
    return r;
}

}  // namespace ggml::GIRAFFE_CUDA_NS
