// Turns a RopeScaling description into the parameters of the rope op for one attention kind.
#pragma once
#include <vector>

#include "ggml/ops.h"
#include "hparams.h"

namespace giraffe {

struct ResolvedRope {
    ggml::RopeParams params;
    std::vector<float> freq_factors;  // per-pair divisors (empty: none)
};

// n_ctx: the session's context (for dynamic NTK, the current length). swa: sliding-window layers, which
// use rope_base_swa and no scaling.
ResolvedRope resolve_rope(const HParams& hp, const RopeScaling& rs, bool swa, int n_ctx);

// Per-pair divisors of Llama 3's scaling (factor, low/high frequency factors, original context).
std::vector<float> llama3_freq_factors(int n_rot, float base, const RopeScaling& rs);

}  // namespace giraffe
