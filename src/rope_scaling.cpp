#include "rope_scaling.h"

#include <cmath>

namespace giraffe {

std::vector<float> llama3_freq_factors(int n_rot, float base, const RopeScaling& rs) {
    const double L = rs.orig_ctx, s = rs.factor;
    const double wl_low = L / rs.low_freq_factor, wl_high = L / rs.high_freq_factor;
    std::vector<float> f(size_t(n_rot / 2));
    for (int i = 0; i < n_rot / 2; i++) {
        const double theta = std::pow(double(base), -2.0 * i / n_rot);
        const double wavelength = 2.0 * M_PI / theta;
        double new_theta;
        if (wavelength < wl_high) {
            new_theta = theta;
        } else if (wavelength > wl_low) {
            new_theta = theta / s;
        } else {
            const double m = (L / wavelength - rs.low_freq_factor) / (rs.high_freq_factor - rs.low_freq_factor);
            new_theta = (1.0 - m) * theta / s + m * theta;
        }
        f[size_t(i)] = float(theta / new_theta);
    }
    return f;
}

ResolvedRope resolve_rope(const HParams& hp, const RopeScaling& rs, bool swa, int n_ctx) {
    ResolvedRope r;
    ggml::RopeParams& p = r.params;
    p.n_dims = hp.n_rot;
    p.mode = hp.rope_neox ? ggml::RopeMode::Neox : ggml::RopeMode::Normal;
    p.freq_base = swa ? hp.rope_base_swa : hp.rope_base;
    p.n_ctx_orig = rs.orig_ctx > 0 ? rs.orig_ctx : hp.n_ctx_train;
    p.attn_factor = rs.attn_factor;
    p.beta_fast = rs.beta_fast;
    p.beta_slow = rs.beta_slow;
    if (swa) return r;  // sliding layers never see positions far apart: no extension needed
    const double d = hp.n_rot, s = rs.factor, L = p.n_ctx_orig;
    switch (rs.type) {
    case RopeScalingType::None: break;
    case RopeScalingType::Linear: p.freq_scale = float(1.0 / s); break;
    case RopeScalingType::Ntk: p.freq_base = float(p.freq_base * std::pow(s, d / (d - 2.0))); break;
    case RopeScalingType::Dynamic:
        if (n_ctx > L) p.freq_base = float(p.freq_base * std::pow(s * n_ctx / L - (s - 1.0), d / (d - 2.0)));
        break;
    case RopeScalingType::Yarn:
        p.freq_scale = float(1.0 / s);
        p.ext_factor = 1.0f;
        break;
    case RopeScalingType::Llama3: r.freq_factors = llama3_freq_factors(hp.n_rot, p.freq_base, rs); break;
    case RopeScalingType::LongRope:
        // Divisors come from the model's rope_factors_{short,long} tensors; the attention factor from s.
        p.attn_factor *= float(std::sqrt(1.0 + std::log(s) / std::log(L)));
        break;
    }
    return r;
}

}  // namespace giraffe
