// The sampler against a plain one written here from its definition (sort every token by penalized logit,
// then top-k, temperature softmax, min-p, top-p): the same tokens from the same seed, over random logits
// with ties, every filter on and off, and the repetition penalty.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "sampler.h"

using namespace giraffe;

namespace {

class PlainSampler {
public:
    explicit PlainSampler(const SamplerParams& p) : p_(p) { rng_.seed(p.seed); }
    void accept(int32_t t) {
        recent_.push_back(t);
        if (int(recent_.size()) > p_.repeat_last_n) recent_.erase(recent_.begin());
    }
    int32_t sample(const float* logits, int32_t n_vocab) {
        std::vector<std::pair<float, int32_t>> c;
        for (int32_t i = 0; i < n_vocab; i++) c.push_back({logits[i], i});
        for (int32_t t : std::set<int32_t>(recent_.begin(), recent_.end())) {
            float& l = c[size_t(t)].first;
            l = l > 0 ? l / p_.repeat_penalty : l * p_.repeat_penalty;
        }
        std::sort(c.begin(), c.end(), [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
        if (p_.temp <= 0) return c[0].second;
        size_t n = p_.top_k > 0 ? std::min(c.size(), size_t(p_.top_k)) : c.size();
        std::vector<double> prob(n);
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += prob[i] = std::exp(double(c[i].first - c[0].first) / p_.temp);
        for (double& q : prob) q /= sum;
        if (p_.min_p > 0) {
            size_t keep = 1;
            while (keep < n && prob[keep] >= p_.min_p * prob[0]) keep++;
            n = keep;
        }
        if (p_.top_p < 1) {
            double mass = 0;
            size_t keep = 0;
            while (keep < n && mass < p_.top_p) mass += prob[keep++];
            n = std::max<size_t>(keep, 1);
        }
        std::discrete_distribution<size_t> pick(prob.begin(), prob.begin() + std::ptrdiff_t(n));
        return c[pick(rng_)].second;
    }

private:
    SamplerParams p_;
    std::mt19937_64 rng_;
    std::vector<int32_t> recent_;
};

}  // namespace

TEST_CASE("sampler: equals the plain definition", "[sampler]") {
    std::mt19937 rng(3);
    const int32_t n_vocab = 1000;
    std::vector<float> logits(static_cast<size_t>(n_vocab));
    struct Setting {
        float temp;
        int top_k;
        float top_p, min_p, penalty;
    };
    const Setting settings[] = {{0.0f, 40, 0.95f, 0.05f, 1.0f}, {0.0f, 0, 1.0f, 0.0f, 1.3f}, {0.8f, 40, 0.95f, 0.05f, 1.0f},
                                {1.0f, 0, 1.0f, 0.0f, 1.0f},    {0.7f, 5, 1.0f, 0.0f, 1.2f},  {1.5f, 0, 0.9f, 0.0f, 1.1f},
                                {1.0f, 2000, 1.0f, 0.1f, 1.0f}, {0.5f, 1, 1.0f, 0.0f, 1.0f}};
    for (const Setting& st : settings) {
        SamplerParams p;
        p.temp = st.temp, p.top_k = st.top_k, p.top_p = st.top_p, p.min_p = st.min_p, p.repeat_penalty = st.penalty;
        p.repeat_last_n = 8;
        p.seed = 42;
        Sampler s(p);
        PlainSampler plain(p);
        for (int step = 0; step < 200; step++) {
            // Logits on a coarse grid: many exact ties, which the order (logit, then lower id) must break alike.
            std::uniform_int_distribution<int> v(-40, 40);
            for (float& l : logits) l = float(v(rng)) / 8.0f;
            const int32_t a = s.sample(logits.data(), n_vocab), b = plain.sample(logits.data(), n_vocab);
            INFO("temp " << st.temp << " top_k " << st.top_k << " penalty " << st.penalty << " step " << step);
            REQUIRE(a == b);
            s.accept(a);
            plain.accept(b);
        }
    }
}
