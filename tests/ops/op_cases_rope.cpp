// Table cases for rope: both pairings, partial rotation, frequency factors, linear scaling, YaRN, attention
// factor, unordered positions, non-contiguous inputs.
#include <algorithm>

#include "ops/case_helpers.h"

namespace optest {

namespace {

enum class RopeInput { Contiguous, FusedQkvView, Permuted };

// Positions out of order, including a large one.
const std::vector<double> kPositions = {5, 0, 17, 1000, 1, 42, 3, 255};

OpCase rope_case(const std::string& name, int64_t head_dim, int64_t n_head, int64_t n_tok, ggml::RopeParams p,
                 bool freq_factors, RopeInput layout = RopeInput::Contiguous) {
    std::vector<double> pos(kPositions.begin(), kPositions.begin() + n_tok);
    const double max_pos = *std::max_element(pos.begin(), pos.end());
    // Float angles carry about one ulp of theta (<= pos); the reference is exact.
    const Tolerance tol{1e-5 + 2e-7 * max_pos, 1e-5};

    std::vector<InputSpec> inputs;
    ArgsFn args;
    switch (layout) {
    case RopeInput::Contiguous:
        inputs.push_back(in(T::F32, {head_dim, n_head, n_tok}));
        break;
    case RopeInput::FusedQkvView:
        // One [3 * head_dim * n_head, n_tok] projection output; rope reads the K third through a view.
        inputs.push_back(in(T::F32, {3 * head_dim * n_head, n_tok}));
        args = [head_dim, n_head](Layout& l, const As& a) {
            As r = a;
            r[0] = l.view(a[0], {head_dim, n_head, a[0].r.ne[1]}, {size_t(head_dim) * 4, size_t(3 * head_dim * n_head) * 4},
                          size_t(head_dim * n_head) * 4);
            return r;
        };
        break;
    case RopeInput::Permuted:
        inputs.push_back(in(T::F32, {head_dim, n_tok, n_head}));
        args = permute_first_0213;
        break;
    }
    inputs.push_back(in_values(T::I32, {n_tok}, pos));
    if (freq_factors) inputs.push_back(in(T::F32, {p.n_dims / 2}, uniform(1, 8)));

    BuildFn build = [p, freq_factors](ggml::Context& c, const Ts& t) {
        return ggml::rope(c, t[0], t[1], freq_factors ? t[2] : nullptr, p);
    };
    RefFn reference = [p, freq_factors](const Rs& r) { return ref::rope(r[0], r[1], freq_factors ? &r[2] : nullptr, p); };
    return make(name, std::move(inputs), build, reference, tol, args);
}

ggml::RopeParams params(int n_dims, ggml::RopeMode mode) {
    ggml::RopeParams p;
    p.n_dims = n_dims;
    p.mode = mode;
    return p;
}

}  // namespace

void add_rope_cases(std::vector<OpCase>& out) {
    for (ggml::RopeMode mode : {ggml::RopeMode::Normal, ggml::RopeMode::Neox}) {
        const std::string m = mode == ggml::RopeMode::Normal ? "rope_normal" : "rope_neox";
        out.push_back(rope_case(m + "_d64_h4_t4", 64, 4, 4, params(64, mode), false));
        out.push_back(rope_case(m + "_d64_h3_t8", 64, 3, 8, params(64, mode), false));
        out.push_back(rope_case(m + "_partial_d64_n32_h2_t4", 64, 2, 4, params(32, mode), false));
        out.push_back(rope_case(m + "_d6_h3_t5", 6, 3, 5, params(6, mode), false));
        out.push_back(rope_case(m + "_partial_d6_n4_h3_t5", 6, 3, 5, params(4, mode), false));
        out.push_back(rope_case(m + "_d128_h2_t3", 128, 2, 3, params(128, mode), false));
        out.push_back(rope_case(m + "_freq_factors_d64_h2_t4", 64, 2, 4, params(64, mode), true));
        out.push_back(rope_case(m + "_freq_factors_partial_d64_n32_h2_t4", 64, 2, 4, params(32, mode), true));

        ggml::RopeParams lin = params(64, mode);
        lin.freq_scale = 0.25f;
        out.push_back(rope_case(m + "_linear_fs025_d64_h2_t4", 64, 2, 4, lin, false));

        ggml::RopeParams base = params(64, mode);
        base.freq_base = 500000.0f;
        out.push_back(rope_case(m + "_base500000_d64_h2_t4", 64, 2, 4, base, false));

        ggml::RopeParams att = params(64, mode);
        att.attn_factor = 0.7f;
        out.push_back(rope_case(m + "_attn_factor_d64_h2_t4", 64, 2, 4, att, false));

        ggml::RopeParams yarn = params(64, mode);
        yarn.ext_factor = 1.0f;
        yarn.n_ctx_orig = 64;
        yarn.freq_scale = 0.25f;
        out.push_back(rope_case(m + "_yarn_d64_h2_t4", 64, 2, 4, yarn, false));
        out.push_back(rope_case(m + "_yarn_d64_h3_t8", 64, 3, 8, yarn, false));
        out.push_back(rope_case(m + "_yarn_freq_factors_d64_h2_t4", 64, 2, 4, yarn, true));

        ggml::RopeParams yarn_p = yarn;
        yarn_p.n_dims = 32;
        out.push_back(rope_case(m + "_yarn_partial_d64_n32_h2_t4", 64, 2, 4, yarn_p, false));

        ggml::RopeParams yarn_a = yarn;
        yarn_a.attn_factor = 1.3f;
        yarn_a.ext_factor = 0.5f;
        out.push_back(rope_case(m + "_yarn_ext05_attn_factor_d64_h2_t4", 64, 2, 4, yarn_a, false));

        ggml::RopeParams yarn_d6 = params(6, mode);
        yarn_d6.ext_factor = 1.0f;
        yarn_d6.n_ctx_orig = 64;
        yarn_d6.freq_scale = 0.25f;
        out.push_back(rope_case(m + "_yarn_d6_h3_t5", 6, 3, 5, yarn_d6, false));

        out.push_back(rope_case(m + "_qkv_view_d64_h2_t4", 64, 2, 4, params(64, mode), false, RopeInput::FusedQkvView));
        out.push_back(rope_case(m + "_permuted_d64_h3_t5", 64, 3, 5, params(64, mode), false, RopeInput::Permuted));
        out.push_back(rope_case(m + "_yarn_permuted_d6_h3_t5", 6, 3, 5, yarn_d6, false, RopeInput::Permuted));
    }
    // Everything at once: YaRN, partial rotation, frequency factors, a strided view.
    ggml::RopeParams p = params(4, ggml::RopeMode::Neox);
    p.ext_factor = 1.0f;
    p.n_ctx_orig = 64;
    p.freq_scale = 0.25f;
    out.push_back(rope_case("rope_neox_yarn_qkv_view_partial_d6_n4_h3_t5", 6, 3, 5, p, true, RopeInput::FusedQkvView));
}

}  // namespace optest
