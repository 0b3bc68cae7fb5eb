// Picks the next token from logits: greedy, or temperature with top-k, top-p and min-p filters, after a
// repetition penalty over recent tokens. Seeded, so a run can be repeated exactly.
#pragma once
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace giraffe {

struct SamplerParams {
    float temp = 0.8f;        // <= 0: greedy
    int top_k = 40;           // <= 0: off
    float top_p = 0.95f;      // >= 1: off
    float min_p = 0.05f;      // <= 0: off
    float repeat_penalty = 1.0f;  // 1: off
    int repeat_last_n = 64;
    uint64_t seed = 0xFFFFFFFF;   // 0xFFFFFFFF: random
};

class Sampler {
public:
    explicit Sampler(const SamplerParams& p);
    int32_t sample(const float* logits, int32_t n_vocab);
    void accept(int32_t token);  // remembers it for the repetition penalty
    void reset();
    const SamplerParams& params() const { return p_; }

private:
    SamplerParams p_;
    std::mt19937_64 rng_;
    std::deque<int32_t> recent_;
    std::vector<std::pair<float, int32_t>> cand_;
};

}  // namespace giraffe
