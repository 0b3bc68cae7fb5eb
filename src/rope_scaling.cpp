#include "rope_scaling.h"

#include <cmath>
#include <stdexcept>

#include "model.h"

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

float rope_attention_factor(const RopeScaling& rs, int orig_ctx) {
    if (rs.attn_factor > 0.0f) return rs.attn_factor;
    const double s = rs.factor;
    if (s <= 1.0) return 1.0f;
    switch (rs.type) {
    case RopeScalingType::Yarn: return float(0.1 * std::log(s) + 1.0);  // Peng et al., sqrt(1/t)
    case RopeScalingType::LongRope: return float(std::sqrt(1.0 + std::log(s) / std::log(double(orig_ctx))));
    default: return 1.0f;
    }
}

ResolvedRope resolve_rope(const HParams& hp, const RopeScaling& rs, bool swa, int n_ctx) {
    ResolvedRope r;
    ggml::RopeParams& p = r.params;
    p.n_dims = hp.n_rot;
    p.mode = hp.rope_neox ? ggml::RopeMode::Neox : ggml::RopeMode::Normal;
    p.freq_base = swa ? hp.rope_base_swa : hp.rope_base;
    p.n_ctx_orig = rs.orig_ctx > 0 ? rs.orig_ctx : hp.n_ctx_train;
    p.beta_fast = rs.beta_fast;
    p.beta_slow = rs.beta_slow;
    if (swa) return r;  // sliding layers never see positions far apart: no extension needed
    p.attn_factor = rope_attention_factor(rs, p.n_ctx_orig);
    const double d = hp.n_rot, s = rs.factor, L = p.n_ctx_orig;
    switch (rs.type) {
    case RopeScalingType::None: break;
    case RopeScalingType::Linear: p.freq_scale = float(1.0 / s); break;
    case RopeScalingType::Ntk: p.freq_base = float(p.freq_base * std::pow(s, d / (d - 2.0))); break;
    case RopeScalingType::Dynamic:
        if (n_ctx > L) p.freq_base = float(p.freq_base * std::pow(s * n_ctx / L - (s - 1.0), d / (d - 2.0)));
        break;
    case RopeScalingType::Yarn: {
        p.freq_scale = float(1.0 / s);
        p.ext_factor = 1.0f;
        // The op multiplies by its own 0.1 ln(1/freq_scale) + 1 on top (ggml's YaRN): cancel it, so that cos
        // and sin get exactly the attention factor (for s < 1 too, where transformers uses 1).
        ggml::RopeParams unit = p;
        unit.attn_factor = 1.0f;
        p.attn_factor /= ggml::rope_mscale(unit);
        break;
    }
    case RopeScalingType::Llama3: {
        RopeScaling l3 = rs;
        l3.orig_ctx = p.n_ctx_orig;
        r.freq_factors = llama3_freq_factors(hp.n_rot, p.freq_base, l3);
        break;
    }
    case RopeScalingType::LongRope: break;  // divisors: the model's rope_factors_{short,long} tensors
    }
    return r;
}

ggml::Tensor* model_rope_factors(const Weights& w, const RopeScaling& rs, int n_ctx) {
    if (rs.type != RopeScalingType::LongRope) return w.rope_freqs;
    const bool use_long = n_ctx > rs.orig_ctx;
    ggml::Tensor* t = use_long ? w.rope_factors_long : w.rope_factors_short;
    if (!t)
        throw std::runtime_error(std::string("LongRoPE scaling needs the model's ") +
                                 (use_long ? "rope_factors_long" : "rope_factors_short") + " tensor, which it lacks");
    return t;
}

}  // namespace giraffe
