#include "sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace giraffe {

Sampler::Sampler(const SamplerParams& p) : p_(p) {
    rng_.seed(p.seed == 0xFFFFFFFF ? std::random_device{}() : p.seed);
}

void Sampler::reset() {
    recent_.clear();
    rng_.seed(p_.seed == 0xFFFFFFFF ? std::random_device{}() : p_.seed);
}

void Sampler::accept(int32_t token) {
    if (p_.repeat_last_n <= 0) return;
    recent_.push_back(token);
    while (int(recent_.size()) > p_.repeat_last_n) recent_.pop_front();
}

int32_t Sampler::sample(const float* logits, int32_t n_vocab) {
    cand_.resize(size_t(n_vocab));
    for (int32_t i = 0; i < n_vocab; i++) cand_[size_t(i)] = {logits[i], i};
    // Repetition penalty (CTRL, Keskar et al. 2019): shrink the logits of recent tokens.
    if (p_.repeat_penalty != 1.0f) {
        std::unordered_set<int32_t> seen(recent_.begin(), recent_.end());
        for (int32_t t : seen) {
            float& l = cand_[size_t(t)].first;
            l = l > 0 ? l / p_.repeat_penalty : l * p_.repeat_penalty;
        }
    }
    auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
    if (p_.temp <= 0.0f) return std::min_element(cand_.begin(), cand_.end(), by_logit)->second;

    size_t n = cand_.size();
    if (p_.top_k > 0 && size_t(p_.top_k) < n) {
        std::partial_sort(cand_.begin(), cand_.begin() + p_.top_k, cand_.end(), by_logit);
        n = size_t(p_.top_k);
    } else {
        std::sort(cand_.begin(), cand_.end(), by_logit);
    }
    // Softmax at the temperature over the survivors (sorted, largest first).
    std::vector<double> prob(n);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += prob[i] = std::exp(double(cand_[i].first - cand_[0].first) / p_.temp);
    for (double& q : prob) q /= sum;
    if (p_.min_p > 0.0f) {  // drop tokens below min_p times the most likely one
        size_t keep = 1;
        while (keep < n && prob[keep] >= p_.min_p * prob[0]) keep++;
        n = keep;
    }
    if (p_.top_p < 1.0f) {  // smallest prefix whose mass reaches top_p
        double mass = 0;
        size_t keep = 0;
        while (keep < n && mass < p_.top_p) mass += prob[keep++];
        n = std::max<size_t>(keep, 1);
    }
    std::discrete_distribution<size_t> pick(prob.begin(), prob.begin() + std::ptrdiff_t(n));
    return cand_[pick(rng_)].second;
}

}  // namespace giraffe
