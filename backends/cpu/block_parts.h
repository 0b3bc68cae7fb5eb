// Where the KV cache's 32-value block types keep their parts, for the SIMD dequantizers (vec_avx2.cpp,
// vec_avx512.cpp): each value is d * (code - offset), plus m for the _1 types, exactly as the reference
// dequantizers in ggml/quants_legacy.cpp compute it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ggml/quants.h"
#include "ggml/type.h"

namespace ggml::cpu {

struct BlockParts {
    size_t bytes = 0;  // 0: not a type these kernels take
    int m = -1;        // byte offset of the f16 minimum, -1 without one
    int qh = -1;       // byte offset of the 32 fifth bits (bit i: value i), -1 without them
    int qs = 0;        // byte offset of the codes: 32 int8, or 16 bytes of nibbles (values 0-15 low, 16-31 high)
    int offset = 0;    // subtracted from each code
};

inline BlockParts block_parts(Type t) {
    switch (t) {
        case Type::Q8_0: return {sizeof(block_q8_0), -1, -1, 2, 0};
        case Type::Q4_0: return {sizeof(block_q4_0), -1, -1, 2, 8};
        case Type::Q4_1: return {sizeof(block_q4_1), 2, -1, 4, 0};
        case Type::Q5_0: return {sizeof(block_q5_0), -1, 2, 6, 16};
        case Type::Q5_1: return {sizeof(block_q5_1), 2, 4, 8, 0};
        default: return {};
    }
}

// The bits of the f16 at byte `at` of a block (d, or m); each SIMD file converts them its own way.
inline uint16_t block_f16_bits(const char* block, int at) {
    uint16_t h;
    std::memcpy(&h, block + at, 2);
    return h;
}

}  // namespace ggml::cpu
