// Table cases for row-wise ops: rms_norm, norm, soft_max, sum_rows, mean, argmax.
#include <limits>

#include "ops/case_helpers.h"

namespace optest {

namespace {

void norm_cases(std::vector<OpCase>& out) {
    struct N {
        const char* name;
        bool rms;
    };
    for (const N& n : {N{"rms_norm", true}, N{"norm", false}}) {
        const bool rms = n.rms;
        auto build_eps = [rms](float eps) -> BuildFn {
            return [rms, eps](ggml::Context& c, const Ts& t) {
                return rms ? ggml::rms_norm(c, t[0], eps) : ggml::norm(c, t[0], eps);
            };
        };
        auto ref_eps = [rms](float eps) -> RefFn {
            return [rms, eps](const Rs& r) { return rms ? ref::rms_norm(r[0], eps) : ref::norm(r[0], eps); };
        };
        const std::string p = n.name;
        out.push_back(make(p + "_130x5x3", {in(T::F32, {130, 5, 3}, uniform(-2, 2))}, build_eps(1e-6f), ref_eps(1e-6f),
                           kRowwise));
        out.push_back(make(p + "_1x4", {in(T::F32, {1, 4}, uniform(-2, 2))}, build_eps(1e-5f), ref_eps(1e-5f), kRowwise));
        out.push_back(make(p + "_7x3x2x2", {in(T::F32, {7, 3, 2, 2}, uniform(-2, 2))}, build_eps(1e-5f), ref_eps(1e-5f),
                           kRowwise));
        out.push_back(make(p + "_4096x2", {in(T::F32, {4096, 2}, uniform(-2, 2))}, build_eps(1e-6f), ref_eps(1e-6f),
                           kRowwise));
        out.push_back(make(p + "_eps_large_33x3", {in(T::F32, {33, 3}, uniform(-0.5, 0.5))}, build_eps(0.5f),
                           ref_eps(0.5f), kRowwise));
        out.push_back(make(p + "_permuted_0213_64x5x3", {in(T::F32, {64, 3, 5}, uniform(-2, 2))}, build_eps(1e-6f),
                           ref_eps(1e-6f), kRowwise, permute_first_0213));
        out.push_back(make(p + "_row_view_65x4", {in(T::F32, {70, 4}, uniform(-2, 2))}, build_eps(1e-6f), ref_eps(1e-6f),
                           kRowwise, [](Layout& l, const As& a) { return As{l.view(a[0], {65, 4}, {280}, 20)}; }));
        out.push_back(make(p + "_transposed_7x33", {in(T::F32, {33, 7}, uniform(-2, 2))}, build_eps(1e-6f),
                           ref_eps(1e-6f), kRowwise, transpose_first));
        // Values far from zero: the mean must be subtracted before squaring (catastrophic cancellation).
        out.push_back(make(p + "_offset_values_130x3", {in(T::F32, {130, 3}, uniform(100, 101))}, build_eps(1e-6f),
                           ref_eps(1e-6f), Tolerance{1e-4, 1e-4}));
    }
}

// A mask [n0, n1, n2, n3] whose first used0 x used1 block is causal for n_q = used1 queries at the end of
// used0 keys (unmasked entries random in [-1, 1]), padding NaN (must never be read).
Gen causal_mask(int64_t used0, int64_t used1) {
    return [used0, used1](const int64_t i[4], Rng& r) {
        if (i[0] >= used0 || i[1] >= used1) return std::numeric_limits<double>::quiet_NaN();
        const double v = r.uniform(-1, 1);
        return i[0] <= i[1] + (used0 - used1) ? v : -HUGE_VAL;
    };
}
Gen padded_random_mask(int64_t used0, int64_t used1) {
    return [used0, used1](const int64_t i[4], Rng& r) {
        if (i[0] >= used0 || i[1] >= used1) return std::numeric_limits<double>::quiet_NaN();
        return r.uniform(-2, 2);
    };
}

void soft_max_cases(std::vector<OpCase>& out) {
    auto nomask = [](float scale) -> std::pair<BuildFn, RefFn> {
        return {[scale](ggml::Context& c, const Ts& t) { return ggml::soft_max(c, t[0], nullptr, scale, 0.0f); },
                [scale](const Rs& r) { return ref::soft_max(r[0], nullptr, scale, 0.0); }};
    };
    auto masked = [](float scale, float max_bias) -> std::pair<BuildFn, RefFn> {
        return {[scale, max_bias](ggml::Context& c, const Ts& t) { return ggml::soft_max(c, t[0], t[1], scale, max_bias); },
                [scale, max_bias](const Rs& r) { return ref::soft_max(r[0], &r[1], scale, max_bias); }};
    };
    auto add = [&](const std::string& name, std::vector<InputSpec> inputs, std::pair<BuildFn, RefFn> f,
                   ArgsFn args = nullptr) {
        out.push_back(make(name, std::move(inputs), f.first, f.second, kRowwise, std::move(args)));
    };
    add("soft_max_33x7", {in(T::F32, {33, 7}, uniform(-3, 3))}, nomask(1.0f));
    add("soft_max_scale_130x4x3", {in(T::F32, {130, 4, 3}, uniform(-4, 4))}, nomask(0.125f));
    add("soft_max_large_values_65x3", {in(T::F32, {65, 3}, uniform(-80, 80))}, nomask(1.0f));
    add("soft_max_1x5", {in(T::F32, {1, 5}, uniform(-3, 3))}, nomask(1.0f));
    add("soft_max_4096x2", {in(T::F32, {4096, 2}, uniform(-5, 5))}, nomask(0.7f));
    add("soft_max_permuted_0213_9x4x3", {in(T::F32, {9, 3, 4}, uniform(-3, 3))}, nomask(1.0f), permute_first_0213);
    add("soft_max_transposed_7x33", {in(T::F32, {33, 7}, uniform(-3, 3))}, nomask(1.0f), transpose_first);
    for (T mt : {T::F32, T::F16}) {
        const std::string m = tname(mt);
        add("soft_max_mask_" + m + "_causal_padded_9x4x3", {in(T::F32, {9, 4, 3}, uniform(-3, 3)), in(mt, {16, 8}, causal_mask(9, 4))},
            masked(0.125f, 0.0f));
        add("soft_max_mask_" + m + "_broadcast_heads_9x4x4x2",
            {in(T::F32, {9, 4, 4, 2}, uniform(-3, 3)), in(mt, {9, 4, 2, 1}, padded_random_mask(9, 4))}, masked(0.3f, 0.0f));
        add("soft_max_mask_" + m + "_per_sequence_33x5x2x2",
            {in(T::F32, {33, 5, 2, 2}, uniform(-3, 3)), in(mt, {40, 5, 1, 2}, causal_mask(33, 5))}, masked(1.0f, 0.0f));
        add("soft_max_mask_" + m + "_rows_repeat_9x12x3",  // 4 tokens' rows repeated for 3 heads of a group
            {in(T::F32, {9, 12, 3}, uniform(-3, 3)), in(mt, {9, 4}, causal_mask(9, 4))}, masked(0.25f, 0.0f));
        add("soft_max_mask_" + m + "_alibi_h8_7x3x8", {in(T::F32, {7, 3, 8}, uniform(-3, 3)), in(mt, {7, 3}, causal_mask(7, 3))},
            masked(1.0f, 8.0f));
        add("soft_max_mask_" + m + "_alibi_h6_padded_7x3x6",
            {in(T::F32, {7, 3, 6}, uniform(-3, 3)), in(mt, {8, 4}, causal_mask(7, 3))}, masked(0.5f, 8.0f));
        add("soft_max_mask_" + m + "_alibi_h5_bias4_33x2x5",
            {in(T::F32, {33, 2, 5}, uniform(-3, 3)), in(mt, {33, 2}, uniform(-20, 0))}, masked(1.0f, 4.0f));
    }
    add("soft_max_mask_f32_permuted_input_9x4x3", {in(T::F32, {9, 3, 4}, uniform(-3, 3)), in(T::F32, {9, 4}, causal_mask(9, 4))},
        masked(1.0f, 0.0f), permute_first_0213);
    add("soft_max_mask_f32_long_row_1030x2", {in(T::F32, {1030, 2}, uniform(-3, 3)), in(T::F32, {1030, 2}, causal_mask(1030, 2))},
        masked(0.2f, 0.0f));
}

void reduce_cases(std::vector<OpCase>& out) {
    auto sum = [](ggml::Context& c, const Ts& t) { return ggml::sum_rows(c, t[0]); };
    auto sum_ref = [](const Rs& r) { return ref::sum_rows(r[0]); };
    auto mean = [](ggml::Context& c, const Ts& t) { return ggml::mean(c, t[0]); };
    auto mean_ref = [](const Rs& r) { return ref::mean(r[0]); };
    const Tolerance tol{1e-5, 1e-5};
    for (auto [p, b, r] : {std::tuple<std::string, BuildFn, RefFn>{"sum_rows", sum, sum_ref}, {"mean", mean, mean_ref}}) {
        out.push_back(make(p + "_130x5x3x2", {in(T::F32, {130, 5, 3, 2})}, b, r, tol));
        out.push_back(make(p + "_1x4", {in(T::F32, {1, 4})}, b, r, tol));
        out.push_back(make(p + "_4099x2", {in(T::F32, {4099, 2}, uniform(0, 1))}, b, r, tol));
        out.push_back(make(p + "_permuted_0213_33x4x3", {in(T::F32, {33, 3, 4})}, b, r, tol, permute_first_0213));
        out.push_back(make(p + "_transposed_7x33", {in(T::F32, {33, 7})}, b, r, tol, transpose_first));
    }

    auto am = [](ggml::Context& c, const Ts& t) { return ggml::argmax(c, t[0]); };
    auto am_ref = [](const Rs& r) { return ref::argmax(r[0]); };
    out.push_back(make("argmax_33x7", {in(T::F32, {33, 7})}, am, am_ref, kExact));
    out.push_back(make("argmax_130x1", {in(T::F32, {130})}, am, am_ref, kExact));
    out.push_back(make("argmax_1x5", {in(T::F32, {1, 5})}, am, am_ref, kExact));
    out.push_back(make("argmax_4099x3", {in(T::F32, {4099, 3})}, am, am_ref, kExact));
    out.push_back(make("argmax_all_negative_65x3", {in(T::F32, {65, 3}, uniform(-10, -1))}, am, am_ref, kExact));
    // Ties: the first maximum wins (rows of 5: max 3 at 1 and 3; max 2 at 0 and 4; all equal).
    out.push_back(make("argmax_ties_first_5x3",
                       {in_values(T::F32, {5, 3}, {1, 3, 0, 3, 2, 2, 1, 0, -1, 2, 7, 7, 7, 7, 7})}, am, am_ref, kExact));
    out.push_back(make("argmax_row_view_33x4", {in(T::F32, {40, 4})}, am, am_ref, kExact,
                       [](Layout& l, const As& a) { return As{l.view(a[0], {33, 4}, {160}, 28)}; }));
    out.push_back(make("argmax_transposed_7x33", {in(T::F32, {33, 7})}, am, am_ref, kExact, transpose_first));
}

}  // namespace

void add_rowwise_cases(std::vector<OpCase>& out) {
    norm_cases(out);
    soft_max_cases(out);
    reduce_cases(out);
}

}  // namespace optest
