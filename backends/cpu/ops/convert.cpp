// Strided element conversions between the float types, used by copies and row loads.
#include <cstring>

#include "backends/cpu/ops/common.h"

namespace ggml::cpu {

void load_f32(Type from, const char* src, size_t stride, int64_t n, float* dst) {
    const size_t es = type_traits(from).block_bytes;
    if (stride == es) {  // contiguous: the vector kernels
        switch (from) {
        case Type::F32: std::memcpy(dst, src, size_t(n) * 4); return;
        case Type::F16: vec_f16_to_f32(n, dst, reinterpret_cast<const uint16_t*>(src)); return;
        case Type::BF16: vec_bf16_to_f32(n, dst, reinterpret_cast<const uint16_t*>(src)); return;
        default: vec_dequant(from, src, dst, n); return;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        const char* p = src + size_t(i) * stride;
        uint16_t h;
        switch (from) {
        case Type::F32: std::memcpy(&dst[i], p, 4); break;
        case Type::F16: std::memcpy(&h, p, 2); dst[i] = fp16_to_fp32(h); break;
        case Type::BF16: std::memcpy(&h, p, 2); dst[i] = bf16_to_fp32(h); break;
        default: type_traits(from).to_float(p, &dst[i], 1); break;
        }
    }
}

void store_f32(Type to, const float* src, int64_t n, char* dst, size_t stride) {
    const size_t es = type_traits(to).block_bytes;
    if (stride == es) {
        switch (to) {
        case Type::F32: std::memcpy(dst, src, size_t(n) * 4); return;
        case Type::F16: vec_f32_to_f16(n, reinterpret_cast<uint16_t*>(dst), src); return;
        case Type::BF16: vec_f32_to_bf16(n, reinterpret_cast<uint16_t*>(dst), src); return;
        default: type_traits(to).from_float(src, dst, n); return;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        char* p = dst + size_t(i) * stride;
        uint16_t h;
        switch (to) {
        case Type::F32: std::memcpy(p, &src[i], 4); break;
        case Type::F16: h = fp32_to_fp16(src[i]); std::memcpy(p, &h, 2); break;
        case Type::BF16: h = fp32_to_bf16(src[i]); std::memcpy(p, &h, 2); break;
        default: type_traits(to).from_float(&src[i], p, 1); break;
        }
    }
}

}  // namespace ggml::cpu
