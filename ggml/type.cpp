#include "ggml/type.h"

#include "ggml/quants.h"

#include <cctype>
#include <cmath>
#include <cstring>

namespace ggml {

uint16_t fp32_to_fp16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t exp = (x >> 23) & 0xffu;
    uint32_t mant = x & 0x7fffffu;
    if (exp == 0xff) return uint16_t(sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0));  // inf / nan
    int e = int(exp) - 127 + 15;
    if (e >= 31) return uint16_t(sign | 0x7c00u);  // overflow to inf
    if (e <= 0) {                                   // subnormal half (or zero)
        if (e < -10) return uint16_t(sign);
        mant |= 0x800000u;
        const int shift = 14 - e;
        uint32_t h = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1);
        const uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return uint16_t(sign | h);
    }
    uint32_t h = (uint32_t(e) << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;  // may carry into the exponent: correct
    return uint16_t(sign | h);
}

float fp16_to_fp32(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    uint32_t x;
    if (exp == 0) {
        if (mant == 0) {
            x = sign;
        } else {  // subnormal: value = mant * 2^-24
            const float v = std::ldexp(float(mant), -24);
            std::memcpy(&x, &v, 4);
            x |= sign;
        }
    } else if (exp == 31) {
        x = sign | 0x7f800000u | (mant << 13);
    } else {
        x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}

uint16_t fp32_to_bf16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 64);  // quiet NaN
    x += 0x7fffu + ((x >> 16) & 1);
    return uint16_t(x >> 16);
}

float bf16_to_fp32(uint16_t h) {
    const uint32_t x = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &x, 4);
    return f;
}

namespace {

void f32_to_float(const void* s, float* d, int64_t n) { std::memcpy(d, s, size_t(n) * 4); }
void f32_from_float(const float* s, void* d, int64_t n) { std::memcpy(d, s, size_t(n) * 4); }
void f16_to_float(const void* s, float* d, int64_t n) {
    const uint16_t* p = static_cast<const uint16_t*>(s);
    for (int64_t i = 0; i < n; i++) d[i] = fp16_to_fp32(p[i]);
}
void f16_from_float(const float* s, void* d, int64_t n) {
    uint16_t* p = static_cast<uint16_t*>(d);
    for (int64_t i = 0; i < n; i++) p[i] = fp32_to_fp16(s[i]);
}
void bf16_to_float(const void* s, float* d, int64_t n) {
    const uint16_t* p = static_cast<const uint16_t*>(s);
    for (int64_t i = 0; i < n; i++) d[i] = bf16_to_fp32(p[i]);
}
void bf16_from_float(const float* s, void* d, int64_t n) {
    uint16_t* p = static_cast<uint16_t*>(d);
    for (int64_t i = 0; i < n; i++) p[i] = fp32_to_bf16(s[i]);
}
void i32_to_float(const void* s, float* d, int64_t n) {
    const int32_t* p = static_cast<const int32_t*>(s);
    for (int64_t i = 0; i < n; i++) d[i] = float(p[i]);
}
void i32_from_float(const float* s, void* d, int64_t n) {
    int32_t* p = static_cast<int32_t*>(d);
    for (int64_t i = 0; i < n; i++) p[i] = int32_t(std::lrint(s[i]));
}

struct Table {
    TypeTraits t[64];
    Table() {
        auto plain = [&](Type id, const char* name, size_t bytes) {
            TypeTraits& e = t[size_t(id)];
            e.name = name;
            e.block_size = 1;
            e.block_bytes = bytes;
        };
        // Storable types: their sizes are part of GGUF.
        plain(Type::F32, "f32", 4);
        plain(Type::F16, "f16", 2);
        plain(Type::BF16, "bf16", 2);
        plain(Type::I8, "i8", 1);
        plain(Type::I16, "i16", 2);
        plain(Type::I32, "i32", 4);
        plain(Type::I64, "i64", 8);
        plain(Type::F64, "f64", 8);
        t[size_t(Type::F32)].to_float = f32_to_float;
        t[size_t(Type::F32)].from_float = f32_from_float;
        t[size_t(Type::F16)].to_float = f16_to_float;
        t[size_t(Type::F16)].from_float = f16_from_float;
        t[size_t(Type::BF16)].to_float = bf16_to_float;
        t[size_t(Type::BF16)].from_float = bf16_from_float;
        t[size_t(Type::I32)].to_float = i32_to_float;
        t[size_t(Type::I32)].from_float = i32_from_float;
        // Block-quantized types: layouts known (so GGUF files holding them can be read and written);
        // their conversions arrive with the quantization work.
        auto quant = [&](Type id, const char* name, int64_t bs, size_t bytes) {
            TypeTraits& e = t[size_t(id)];
            e.name = name;
            e.block_size = bs;
            e.block_bytes = bytes;
            e.quantized = true;
        };
        quant(Type::Q4_0, "q4_0", 32, 2 + 16);
        quant(Type::Q4_1, "q4_1", 32, 4 + 16);
        quant(Type::Q5_0, "q5_0", 32, 2 + 4 + 16);
        quant(Type::Q5_1, "q5_1", 32, 4 + 4 + 16);
        quant(Type::Q8_0, "q8_0", 32, 2 + 32);
        quant(Type::Q8_1, "q8_1", 32, 4 + 32);
        quant(Type::Q2_K, "q2_K", 256, 16 + 64 + 4);
        quant(Type::Q3_K, "q3_K", 256, 32 + 64 + 12 + 2);
        quant(Type::Q4_K, "q4_K", 256, 4 + 12 + 128);
        quant(Type::Q5_K, "q5_K", 256, 4 + 12 + 32 + 128);
        quant(Type::Q6_K, "q6_K", 256, 128 + 64 + 16 + 2);
        quant(Type::Q8_K, "q8_K", 256, 4 + 256 + 32);
        auto conv = [&](Type id, ToFloatFn to, FromFloatFn from) {
            t[size_t(id)].to_float = to;
            t[size_t(id)].from_float = from;
        };
        conv(Type::Q4_0, dequantize_row_q4_0, quantize_row_q4_0);
        conv(Type::Q4_1, dequantize_row_q4_1, quantize_row_q4_1);
        conv(Type::Q5_0, dequantize_row_q5_0, quantize_row_q5_0);
        conv(Type::Q5_1, dequantize_row_q5_1, quantize_row_q5_1);
        conv(Type::Q8_0, dequantize_row_q8_0, quantize_row_q8_0);
        conv(Type::Q8_1, dequantize_row_q8_1, quantize_row_q8_1);
        conv(Type::Q2_K, dequantize_row_q2_K, quantize_row_q2_K);
        conv(Type::Q3_K, dequantize_row_q3_K, quantize_row_q3_K);
        conv(Type::Q4_K, dequantize_row_q4_K, quantize_row_q4_K);
        conv(Type::Q5_K, dequantize_row_q5_K, quantize_row_q5_K);
        conv(Type::Q6_K, dequantize_row_q6_K, quantize_row_q6_K);
        conv(Type::Q8_K, dequantize_row_q8_K, quantize_row_q8_K);
    }
};

const Table& table() {
    static const Table tab;
    return tab;
}

}  // namespace

const TypeTraits& type_traits(Type t) {
    static const TypeTraits none{};
    const size_t i = size_t(t);
    return i < 64 ? table().t[i] : none;
}

bool type_known(uint32_t id) { return id < 64 && table().t[id].name != nullptr; }

const char* type_name(Type t) {
    const char* n = type_traits(t).name;
    return n ? n : "unknown";
}

bool type_from_name(const std::string& name, Type* out) {
    for (uint32_t i = 0; i < 64; i++) {
        const char* n = table().t[i].name;
        if (!n || std::strlen(n) != name.size()) continue;
        bool eq = true;
        for (size_t k = 0; k < name.size() && eq; k++)
            eq = std::tolower(static_cast<unsigned char>(n[k])) == std::tolower(static_cast<unsigned char>(name[k]));
        if (eq) {
            *out = Type(i);
            return true;
        }
    }
    return false;
}

size_t row_size(Type t, int64_t n) {
    const TypeTraits& tt = type_traits(t);
    return size_t(n / tt.block_size) * tt.block_bytes;
}

}  // namespace ggml
