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
    // Repetition penalty (CTRL, Keskar et al. 2019): shrink the logits of recent tokens. The few changed
    // values go beside the logits rather than into a copy of a large vocabulary's.
    std::vector<std::pair<int32_t, float>> penalized;
    if (p_.repeat_penalty != 1.0f) {
        std::unordered_set<int32_t> seen(recent_.begin(), recent_.end());
        for (int32_t t : seen) {
            if (t < 0 || t >= n_vocab) continue;
            const float l = logits[t];
            penalized.push_back({t, l > 0 ? l / p_.repeat_penalty : l * p_.repeat_penalty});
        }
    }
    auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
    // The k best by (logit, then lower id) in one pass: a heap whose top is the worst kept, which most
    // tokens fail to beat at the first comparison.
    auto select = [&](size_t k) {
        cand_.clear();
        if (k >= size_t(n_vocab)) {  // all of them: sorted whole
            for (int32_t i = 0; i < n_vocab; i++) cand_.push_back({logits[i], i});
            for (const auto& pt : penalized) cand_[size_t(pt.first)].first = pt.second;
            std::sort(cand_.begin(), cand_.end(), by_logit);
            return;
        }
        auto consider = [&](float l, int32_t i) {
            if (cand_.size() < k) {
                cand_.push_back({l, i});
                std::push_heap(cand_.begin(), cand_.end(), by_logit);
            } else if (by_logit(std::pair<float, int32_t>{l, i}, cand_.front())) {
                std::pop_heap(cand_.begin(), cand_.end(), by_logit);
                cand_.back() = {l, i};
                std::push_heap(cand_.begin(), cand_.end(), by_logit);
            }
        };
        std::vector<char> skip(penalized.empty() ? 0 : size_t(n_vocab), 0);
        for (const auto& pt : penalized) skip[size_t(pt.first)] = 1, consider(pt.second, pt.first);
        // In runs of 64: once the heap is full, a run whose largest logit is below the worst kept has nothing
        // to place, and is passed over after one vectorised scan (a large vocabulary's run mostly is).
        constexpr int32_t kRun = 64;
        for (int32_t i0 = 0; i0 < n_vocab; i0 += kRun) {
            const int32_t i1 = std::min(n_vocab, i0 + kRun);
            if (cand_.size() == k) {
                float mx = logits[i0];
                for (int32_t i = i0 + 1; i < i1; i++) mx = logits[i] > mx ? logits[i] : mx;
                if (mx < cand_.front().first) continue;
            }
            for (int32_t i = i0; i < i1; i++)
                if (skip.empty() || !skip[size_t(i)]) consider(logits[i], i);
        }
        std::sort(cand_.begin(), cand_.end(), by_logit);
    };
    if (p_.temp <= 0.0f) {
        select(1);
        return cand_[0].second;
    }
    const bool top_k = p_.top_k > 0 && p_.top_k < n_vocab;
    select(top_k ? size_t(p_.top_k) : size_t(n_vocab));
    size_t n = cand_.size();
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
