// One function per op, each in backends/vulkan/ops/<op>.cpp beside its shader(s) in shaders/<op>*.comp.
// Each records the dispatches that compute dst from dst->src[...] (every tensor already in Vulkan memory).
#pragma once
#include "backends/vulkan/recorder.h"

namespace ggml::vk {

void op_cpy(Recorder& r, const Tensor* dst);  // also cont and cast
void op_concat(Recorder& r, const Tensor* dst);
void op_get_rows(Recorder& r, const Tensor* dst);
void op_binary(Recorder& r, const Tensor* dst);  // add, sub, mul, div
void op_scale(Recorder& r, const Tensor* dst);
void op_sqr(Recorder& r, const Tensor* dst);
void op_sqrt(Recorder& r, const Tensor* dst);
void op_clamp(Recorder& r, const Tensor* dst);
void op_unary(Recorder& r, const Tensor* dst);
void op_glu(Recorder& r, const Tensor* dst);
void op_rms_norm(Recorder& r, const Tensor* dst);
void op_norm(Recorder& r, const Tensor* dst);
void op_soft_max(Recorder& r, const Tensor* dst);
void op_rope(Recorder& r, const Tensor* dst);
void op_sum_rows(Recorder& r, const Tensor* dst);  // also mean
void op_argmax(Recorder& r, const Tensor* dst);
void op_mul_mat(Recorder& r, const Tensor* dst);
void op_flash_attn(Recorder& r, const Tensor* dst);  // head sizes up to kFlashAttnMaxHead
constexpr int64_t kFlashAttnMaxHead = 256;           // HD_MAX in shaders/flash_attn.comp

// Weight types mul_mat and get_rows read (shaders compiled once per type, see CMakeLists.txt).
bool weight_type_supported(Type t);
// Shader suffix of a weight type: "f32", "q4_0", "q4_k", ...
std::string type_suffix(Type t);

}  // namespace ggml::vk
