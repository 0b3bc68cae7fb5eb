// A model's hyperparameters, read from GGUF metadata: sizes, attention layout per layer, RoPE and its
// context-extension settings.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ggml {
class GgufFile;
}

namespace giraffe {

enum class RopeScalingType { None, Linear, Ntk, Dynamic, Yarn, Llama3, LongRope };
const char* rope_scaling_name(RopeScalingType t);
bool rope_scaling_from_name(const std::string& s, RopeScalingType* out);

// One description of every context-extension method (see LONG_CONTEXT.md). It is resolved into the
// parameters of the single `rope` op: a frequency scale, a base, per-pair divisors and the YaRN terms.
struct RopeScaling {
    RopeScalingType type = RopeScalingType::None;
    float factor = 1.0f;         // s: target context / original context
    int32_t orig_ctx = 0;        // L: the context the model was trained with (0: n_ctx_train)
    float beta_fast = 32.0f;     // YaRN
    float beta_slow = 1.0f;
    // What cos and sin are multiplied by (transformers' attention_factor; GGUF rope.scaling.attn_factor, as
    // llama.cpp's Phi-3 converter writes it; --yarn-attn-factor). 0: the method's own, as transformers
    // derives it: YaRN 0.1 ln(s) + 1, LongRoPE sqrt(1 + ln(s) / ln(L)) (both 1 when s <= 1), the others 1.
    // (llama.cpp's runtime multiplies YaRN's own factor by the key instead: files agree where it is absent.)
    float attn_factor = 0.0f;
    float low_freq_factor = 1.0f;   // Llama 3
    float high_freq_factor = 4.0f;  // Llama 3
};

enum class AttnKind { Full, Sliding };

struct HParams {
    std::string arch;
    int32_t n_vocab = 0;
    int32_t n_ctx_train = 0;
    int32_t n_embd = 0;
    int32_t n_layer = 0;
    int32_t n_head = 0;
    int32_t n_head_kv = 0;
    int32_t head_dim_k = 0;  // per-head size of queries and keys
    int32_t head_dim_v = 0;
    int32_t n_ff = 0;
    float norm_eps = 1e-5f;

    int32_t n_rot = 0;               // rotated dims per head
    bool rope_neox = false;          // pairing: halves (NeoX) or adjacent elements
    float rope_base = 10000.0f;      // full-attention layers
    float rope_base_swa = 10000.0f;  // sliding-window layers
    RopeScaling rope_scaling;        // applies to full-attention layers (Gemma 3 keeps SWA layers unscaled)

    int32_t sliding_window = 0;       // W, for sliding layers
    std::vector<AttnKind> layer_kind;  // per layer

    float attn_scale = 0.0f;   // softmax scale (0: 1/sqrt(head_dim_k))
    float embd_scale = 1.0f;   // token embeddings are multiplied by this (Gemma: sqrt(n_embd))

    int32_t n_gqa() const { return n_head / n_head_kv; }
    bool is_swa(int il) const { return layer_kind[size_t(il)] == AttnKind::Sliding; }
};

// Reads the keys every architecture shares ("<arch>.block_count" etc.); errors name the missing key.
void read_common_hparams(const ggml::GgufFile& f, HParams& hp);

}  // namespace giraffe
