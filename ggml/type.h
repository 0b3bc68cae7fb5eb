// The element-type table: one entry per type, ids and block layouts bit-compatible with GGUF.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ggml {

// GGUF's type ids (the numbering is part of the file format).
enum class Type : uint32_t {
    F32 = 0, F16 = 1,
    Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, BF16 = 30,
};

using ToFloatFn = void (*)(const void* src, float* dst, int64_t n);
using FromFloatFn = void (*)(const float* src, void* dst, int64_t n);

struct TypeTraits {
    const char* name = nullptr;   // nullptr: id not usable (unknown or not implemented yet)
    int64_t block_size = 0;       // elements per block (1 for plain types)
    size_t block_bytes = 0;       // bytes per block
    bool quantized = false;
    ToFloatFn to_float = nullptr;     // reference conversion of n elements (n % block_size == 0)
    FromFloatFn from_float = nullptr; // reference conversion of n elements (n % block_size == 0)
};

// Traits for a known type; a type whose slot is empty has name == nullptr.
const TypeTraits& type_traits(Type t);
// True when id names a type this build can store (size known).
bool type_known(uint32_t id);
const char* type_name(Type t);  // "f32", "q4_K", ... or "unknown"
// Parses a name such as "f16" or "Q8_0" (case-insensitive); returns false when unknown.
bool type_from_name(const std::string& name, Type* out);
// Bytes of a row of n elements; n must be a multiple of the block size.
size_t row_size(Type t, int64_t n);

// Half-precision conversions, bit-exact with IEEE 754 binary16 (round to nearest even).
uint16_t fp32_to_fp16(float f);
float fp16_to_fp32(uint16_t h);
// bfloat16: the top 16 bits of a float, rounded to nearest even (NaN stays NaN).
uint16_t fp32_to_bf16(float f);
float bf16_to_fp32(uint16_t h);

}  // namespace ggml
