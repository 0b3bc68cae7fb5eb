// Turns a RopeScaling description into the parameters of the rope op for one attention kind.
#pragma once
#include <vector>

#include "ggml/ops.h"
#include "hparams.h"

namespace giraffe {

struct Weights;

struct ResolvedRope {
    ggml::RopeParams params;
    std::vector<float> freq_factors;  // per-pair divisors (empty: none)
};

// n_ctx: the session's context (for dynamic NTK, the current length). swa: sliding-window layers, which
// use rope_base_swa and no scaling. The op then computes what transformers' rope initialisation gives for
// the same settings (inverse frequencies, and cos and sin times its attention_scaling; checked by
// tests/src/test_rope_hf.cpp). LongRoPE's divisors are the model's tensors (model_rope_factors).
ResolvedRope resolve_rope(const HParams& hp, const RopeScaling& rs, bool swa, int n_ctx);

// Per-pair divisors of Llama 3's scaling (factor, low/high frequency factors, original context).
std::vector<float> llama3_freq_factors(int n_rot, float base, const RopeScaling& rs);

// The attention factor a scaling multiplies cos and sin by: rs.attn_factor when given, else the method's own.
float rope_attention_factor(const RopeScaling& rs, int orig_ctx);

// The per-pair divisors the model's own tensors give the full-attention layers, or null. LongRoPE: its long
// factors when the session's context n_ctx exceeds the original context, its short ones otherwise (llama.cpp
// picks by the context like this; transformers by the current length), and an error when the model has none.
// Any other method: the file's rope_freqs when it has one (llama.cpp stores Llama 3's divisors there), which
// then stand in for the divisors resolve_rope computes.
ggml::Tensor* model_rope_factors(const Weights& w, const RopeScaling& rs, int n_ctx);

}  // namespace giraffe
