// One compute function per op, each in backends/cpu/ops/<op>.cpp. They read dst->src[...] and write dst,
// splitting the work across n_threads OpenMP threads.
#pragma once
#include "ggml/tensor.h"

namespace ggml::cpu {

struct OpContext {
    int n_threads = 1;
    // The weight matrix the next weight product of the graph will read (null if none): a decode product
    // starts its reads while it finishes its own (see decode_path).
    const Tensor* next_weight = nullptr;
};

void op_cpy(Tensor* dst, const OpContext& ctx);  // also cont and cast
void op_concat(Tensor* dst, const OpContext& ctx);
void op_get_rows(Tensor* dst, const OpContext& ctx);
void op_binary(Tensor* dst, const OpContext& ctx);  // add, sub, mul, div
void op_scale(Tensor* dst, const OpContext& ctx);
void op_sqr(Tensor* dst, const OpContext& ctx);
void op_sqrt(Tensor* dst, const OpContext& ctx);
void op_clamp(Tensor* dst, const OpContext& ctx);
void op_unary(Tensor* dst, const OpContext& ctx);
void op_glu(Tensor* dst, const OpContext& ctx);
void op_rms_norm(Tensor* dst, const OpContext& ctx);
void op_norm(Tensor* dst, const OpContext& ctx);
void op_soft_max(Tensor* dst, const OpContext& ctx);
void op_rope(Tensor* dst, const OpContext& ctx);
void op_sum_rows(Tensor* dst, const OpContext& ctx);  // also mean
void op_argmax(Tensor* dst, const OpContext& ctx);
void op_mul_mat(Tensor* dst, const OpContext& ctx);
void op_flash_attn(Tensor* dst, const OpContext& ctx);
// Products of the same b (Graph::group_sibling_products puts them side by side): the quantized ones at
// decode as one pass over all their weights.
void op_mul_mat_siblings(Tensor* const* dsts, int count, const OpContext& ctx);

}  // namespace ggml::cpu
