// One function per op, each in backends/cuda/<op>.cu beside its kernels. Each launches, on ctx.stream,
// the kernels that compute dst from dst->src[...] (every tensor already in device memory). Plain C++ so
// that the backend's host code includes it without nvcc.
#pragma once
#include <cstddef>
#include <cstdint>

#include "backends/cuda/cuda_api.h"
#include "ggml/tensor.h"

namespace ggml::GIRAFFE_CUDA_NS {

// Device memory an op may use for the duration of its launches (flash decoding's partial results).
// Grown on demand; growing waits for the stream, so nothing queued still reads the old block.
class Scratch {
public:
    Scratch() = default;
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch();
    void* get(size_t bytes, cudaStream_t stream);
    // How many times the block moved: launches captured before then hold a freed pointer.
    uint64_t generation() const { return generation_; }

private:
    void* p_ = nullptr;
    size_t n_ = 0;
    uint64_t generation_ = 0;
};

struct OpContext {
    cudaStream_t stream;
    Scratch* scratch;
    int sm_count;  // streaming multiprocessors: how many blocks keep the GPU busy
};

void op_cpy(const OpContext& c, const Tensor* dst);  // also cont and cast, into f32/f16/bf16/q8_0/q4_0/q5_0
void op_concat(const OpContext& c, const Tensor* dst);
void op_get_rows(const OpContext& c, const Tensor* dst);
void op_binary(const OpContext& c, const Tensor* dst);  // add, sub, mul, div
void op_scale(const OpContext& c, const Tensor* dst);
void op_sqr(const OpContext& c, const Tensor* dst);
void op_sqrt(const OpContext& c, const Tensor* dst);
void op_clamp(const OpContext& c, const Tensor* dst);
void op_unary(const OpContext& c, const Tensor* dst);
void op_glu(const OpContext& c, const Tensor* dst);
void op_rms_norm(const OpContext& c, const Tensor* dst);
void op_norm(const OpContext& c, const Tensor* dst);
void op_soft_max(const OpContext& c, const Tensor* dst);
void op_rope(const OpContext& c, const Tensor* dst);
void op_sum_rows(const OpContext& c, const Tensor* dst);  // also mean
void op_argmax(const OpContext& c, const Tensor* dst);
void op_mul_mat(const OpContext& c, const Tensor* dst);
void op_flash_attn(const OpContext& c, const Tensor* dst);

// Block types mul_mat and get_rows read (f32, f16, bf16 and every GGUF block type giraffe quantizes).
bool weight_type_supported(Type t);
// Block types a copy can write (the quantized KV cache): q8_0, q4_0, q5_0.
bool cpy_dst_block_type(Type t);
// Largest head size flash_attn takes (its per-row accumulators live in registers).
constexpr int64_t kFlashAttnMaxHead = 256;

}  // namespace ggml::GIRAFFE_CUDA_NS
