// Writes random-weight models of any shape with giraffe's own GGUF writer: fixtures for the
// architecture tests and the TinyLlama-shaped benchmark model.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ggml/type.h"

namespace giraffe {

struct ModelShape {
    std::string arch = "llama";  // llama, qwen2, gemma3, phi3 (fused attn_qkv and gate|up ffn_up, as llama.cpp writes it)
    int n_vocab = 32000;
    int n_embd = 2048;
    int n_layer = 22;
    int n_head = 32;
    int n_head_kv = 4;
    int n_ff = 5632;
    int n_ctx = 2048;
    int head_dim = 0;        // 0: n_embd / n_head
    int sliding_window = 0;  // llama/qwen2: all layers slide when > 0; gemma3: its local window; phi3: unused
    int n_rot = 0;           // rotated dims per head (rope.dimension_count; 0: not written, all of them)
    bool fused_qkv = true;   // phi3: one attn_qkv (false: attn_q/k/v, which llama.cpp reads as well)
    float rope_base = 10000.0f;
    float norm_eps = 1e-5f;
    ggml::Type type = ggml::Type::F16;  // 2-D weights; norms and biases stay F32
    uint64_t seed = 1;
    // RoPE scaling, written when set: "<arch>.rope.scaling.*" keys (type "", factor 0, original context 0,
    // attention factor 0: not written) and F32 [n_rot / 2] divisor tensors after all the others (empty:
    // not written; the other weights stay as without them): Llama 3's rope_freqs, LongRoPE's short / long.
    std::string rope_scaling;
    float rope_scale = 0.0f;
    int rope_orig_ctx = 0;
    float rope_attn_factor = 0.0f;
    std::vector<float> rope_freqs, rope_factors_short, rope_factors_long;
};
// The TinyLlama-1.1B shape (dim 2048, 22 layers, 32 heads, 4 KV heads, FFN 5632, vocab 32000).
ModelShape tinyllama_shape();

// Streams the tensors to disk (never the whole model in memory); progress(done_bytes, total_bytes).
void write_random_model(const std::string& path, const ModelShape& shape,
                        const std::function<void(size_t, size_t)>& progress = {});

}  // namespace giraffe
