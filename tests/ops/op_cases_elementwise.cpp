// Table cases for elementwise ops: add, sub, mul, div (with broadcasting), scale, sqr, sqrt, clamp, unary,
// glu.
#include "ops/case_helpers.h"

namespace optest {

namespace {

struct BinaryDef {
    const char* name;
    ref::BinaryOp rop;
    ggml::Tensor* (*fn)(ggml::Context&, ggml::Tensor*, ggml::Tensor*);
};

void binary_cases(std::vector<OpCase>& out) {
    const BinaryDef defs[] = {
        {"add", ref::BinaryOp::Add, ggml::add},
        {"sub", ref::BinaryOp::Sub, ggml::sub},
        {"mul", ref::BinaryOp::Mul, ggml::mul},
        {"div", ref::BinaryOp::Div, ggml::div},
    };
    for (const BinaryDef& d : defs) {
        auto fn = d.fn;
        auto rop = d.rop;
        BuildFn build = [fn](ggml::Context& c, const Ts& t) { return fn(c, t[0], t[1]); };
        RefFn reference = [rop](const Rs& r) { return ref::binary(rop, r[0], r[1]); };
        const Gen gb = rop == ref::BinaryOp::Div ? signed_range(0.5, 2) : uniform(-2, 2);
        const std::string n = d.name;
        auto add = [&](const std::string& suffix, std::vector<InputSpec> inputs, ArgsFn args = nullptr) {
            out.push_back(make(n + "_" + suffix, std::move(inputs), build, reference, kF32Arith, std::move(args)));
        };
        add("same_33x7x3", {in(T::F32, {33, 7, 3}), in(T::F32, {33, 7, 3}, gb)});
        add("broadcast_row_33x7x3", {in(T::F32, {33, 7, 3}), in(T::F32, {33}, gb)});
        add("broadcast_col_7x5x3", {in(T::F32, {7, 5, 3}), in(T::F32, {1, 5, 3}, gb)});
        add("broadcast_scalar_130x3", {in(T::F32, {130, 3}), in(T::F32, {1}, gb)});
        add("broadcast_tiled_10x6x4x2", {in(T::F32, {10, 6, 4, 2}), in(T::F32, {5, 3, 2, 1}, gb)});
        add("broadcast_dims23_4x3x4x2", {in(T::F32, {4, 3, 4, 2}), in(T::F32, {4, 3, 1, 2}, gb)});
        add("transposed_a_33x5", {in(T::F32, {5, 33}), in(T::F32, {33, 5}, gb)}, transpose_first);
        add("permuted_b_broadcast_6x4x3", {in(T::F32, {6, 4, 3}), in(T::F32, {6, 1, 4}, gb)},
            [](Layout& l, const As& a) { return As{a[0], l.permute(a[1], 0, 2, 1, 3)}; });
        add("transposed_b_broadcast_7x5x2", {in(T::F32, {7, 5, 2}), in(T::F32, {5, 7}, gb)},
            [](Layout& l, const As& a) { return As{a[0], l.transpose(a[1])}; });
        add("row_view_a_65x3", {in(T::F32, {70, 3}), in(T::F32, {65, 3}, gb)},
            [](Layout& l, const As& a) { return As{l.view(a[0], {65, 3}, {280}, 12), a[1]}; });
        add("permuted_both_1203_5x4x3x2", {in(T::F32, {4, 3, 5, 2}), in(T::F32, {4, 3, 5, 2}, gb)},
            [](Layout& l, const As& a) { return As{l.permute(a[0], 1, 2, 0, 3), l.permute(a[1], 1, 2, 0, 3)}; });
        add("long_4099x2", {in(T::F32, {4099, 2}), in(T::F32, {4099}, gb)});
        add("1x1", {in(T::F32, {1}), in(T::F32, {1}, gb)});
    }
}

void unary_like_cases(std::vector<OpCase>& out) {
    // scale
    for (auto [s, b, suffix] : {std::tuple<float, float, const char*>{0.5f, 0.0f, "33x7"}, {-1.75f, 0.3f, "bias_33x7"}}) {
        out.push_back(make(std::string("scale_") + suffix, {in(T::F32, {33, 7})},
                           [s = s, b = b](ggml::Context& c, const Ts& t) { return ggml::scale(c, t[0], s, b); },
                           [s = s, b = b](const Rs& r) { return ref::scale(r[0], s, b); }, kF32Func));
    }
    out.push_back(make("scale_bias_transposed_7x33", {in(T::F32, {33, 7})},
                       [](ggml::Context& c, const Ts& t) { return ggml::scale(c, t[0], 3.0f, -1.0f); },
                       [](const Rs& r) { return ref::scale(r[0], 3.0, -1.0); }, kF32Func, transpose_first));
    // sqr, sqrt, clamp
    out.push_back(make("sqr_33x7x2", {in(T::F32, {33, 7, 2}, uniform(-3, 3))},
                       [](ggml::Context& c, const Ts& t) { return ggml::sqr(c, t[0]); },
                       [](const Rs& r) { return ref::sqr(r[0]); }, kF32Arith));
    out.push_back(make("sqr_transposed_7x33", {in(T::F32, {33, 7}, uniform(-3, 3))},
                       [](ggml::Context& c, const Ts& t) { return ggml::sqr(c, t[0]); },
                       [](const Rs& r) { return ref::sqr(r[0]); }, kF32Arith, transpose_first));
    out.push_back(make("sqrt_33x7x2", {in(T::F32, {33, 7, 2}, uniform(0, 4))},
                       [](ggml::Context& c, const Ts& t) { return ggml::sqrt(c, t[0]); },
                       [](const Rs& r) { return ref::sqrt(r[0]); }, kF32Arith));
    out.push_back(make("sqrt_permuted_5x4x3", {in(T::F32, {5, 3, 4}, uniform(0, 100))},
                       [](ggml::Context& c, const Ts& t) { return ggml::sqrt(c, t[0]); },
                       [](const Rs& r) { return ref::sqrt(r[0]); }, kF32Arith, permute_first_0213));
    out.push_back(make("clamp_33x7x2", {in(T::F32, {33, 7, 2})},
                       [](ggml::Context& c, const Ts& t) { return ggml::clamp(c, t[0], -0.5f, 0.25f); },
                       [](const Rs& r) { return ref::clamp(r[0], -0.5f, 0.25f); }, kExact));
    out.push_back(make("clamp_transposed_7x130", {in(T::F32, {130, 7}, uniform(-40, 40))},
                       [](ggml::Context& c, const Ts& t) { return ggml::clamp(c, t[0], -30.0f, 30.0f); },
                       [](const Rs& r) { return ref::clamp(r[0], -30.0, 30.0); }, kExact, transpose_first));

    // unary
    struct U {
        const char* name;
        ggml::UnaryOp op;
        double lo, hi;
    };
    const U us[] = {
        {"silu", ggml::UnaryOp::Silu, -10, 10},     {"gelu_tanh", ggml::UnaryOp::GeluTanh, -6, 6},
        {"gelu_erf", ggml::UnaryOp::GeluErf, -6, 6}, {"relu", ggml::UnaryOp::Relu, -2, 2},
        {"tanh", ggml::UnaryOp::Tanh, -5, 5},       {"neg", ggml::UnaryOp::Neg, -2, 2},
        {"exp", ggml::UnaryOp::Exp, -5, 5},
    };
    for (const U& u : us) {
        const ggml::UnaryOp op = u.op;
        BuildFn build = [op](ggml::Context& c, const Ts& t) { return ggml::unary(c, t[0], op); };
        RefFn reference = [op](const Rs& r) { return ref::unary(r[0], op); };
        const std::string n = std::string("unary_") + u.name;
        out.push_back(make(n + "_130x3x2", {in(T::F32, {130, 3, 2}, uniform(u.lo, u.hi))}, build, reference, kF32Func));
        out.push_back(make(n + "_transposed_7x33", {in(T::F32, {33, 7}, uniform(u.lo, u.hi))}, build, reference, kF32Func,
                           transpose_first));
        out.push_back(make(n + "_1", {in(T::F32, {1}, uniform(u.lo, u.hi))}, build, reference, kF32Func));
        out.push_back(make(n + "_4099x2", {in(T::F32, {4099, 2}, uniform(u.lo, u.hi))}, build, reference, kF32Func));
    }
    out.push_back(make("unary_exp_wide_range_65x2", {in(T::F32, {65, 2}, uniform(-30, 30))},
                       [](ggml::Context& c, const Ts& t) { return ggml::unary(c, t[0], ggml::UnaryOp::Exp); },
                       [](const Rs& r) { return ref::unary(r[0], ggml::UnaryOp::Exp); }, Tolerance{0, 1e-5}));
    out.push_back(make("unary_gelu_tanh_wide_range_65x2", {in(T::F32, {65, 2}, uniform(-15, 15))},
                       [](ggml::Context& c, const Ts& t) { return ggml::gelu(c, t[0]); },
                       [](const Rs& r) { return ref::unary(r[0], ggml::UnaryOp::GeluTanh); }, kF32Func));
    // The negative tails, where 1 + erf(x) and 1 + tanh(z) cancel in float (use erfc / a sigmoid form).
    out.push_back(make("unary_gelu_erf_negative_tail_65", {in(T::F32, {65}, uniform(-6, -3))},
                       [](ggml::Context& c, const Ts& t) { return ggml::gelu_erf(c, t[0]); },
                       [](const Rs& r) { return ref::unary(r[0], ggml::UnaryOp::GeluErf); }, kF32Func));
    out.push_back(make("unary_gelu_tanh_negative_tail_65", {in(T::F32, {65}, uniform(-6, -3))},
                       [](ggml::Context& c, const Ts& t) { return ggml::gelu(c, t[0]); },
                       [](const Rs& r) { return ref::unary(r[0], ggml::UnaryOp::GeluTanh); }, kF32Func));
    // The named shorthands map to the right unary op.
    out.push_back(make("unary_silu_via_silu_33", {in(T::F32, {33}, uniform(-6, 6))},
                       [](ggml::Context& c, const Ts& t) { return ggml::silu(c, t[0]); },
                       [](const Rs& r) { return ref::unary(r[0], ggml::UnaryOp::Silu); }, kF32Func));
    out.push_back(make("unary_gelu_tanh_via_gelu_33", {in(T::F32, {33}, uniform(-6, 6))},
                       [](ggml::Context& c, const Ts& t) { return ggml::gelu(c, t[0]); },
                       [](const Rs& r) { return ref::unary(r[0], ggml::UnaryOp::GeluTanh); }, kF32Func));
    out.push_back(make("unary_gelu_erf_via_gelu_erf_33", {in(T::F32, {33}, uniform(-6, 6))},
                       [](ggml::Context& c, const Ts& t) { return ggml::gelu_erf(c, t[0]); },
                       [](const Rs& r) { return ref::unary(r[0], ggml::UnaryOp::GeluErf); }, kF32Func));
}

void glu_cases(std::vector<OpCase>& out) {
    struct G {
        const char* name;
        ggml::GluOp op;
    };
    for (const G& g : {G{"swiglu", ggml::GluOp::SwiGlu}, G{"geglu_tanh", ggml::GluOp::GeGluTanh},
                       G{"geglu_erf", ggml::GluOp::GeGluErf}}) {
        const ggml::GluOp op = g.op;
        BuildFn build = [op](ggml::Context& c, const Ts& t) { return ggml::glu(c, t[0], t[1], op); };
        RefFn reference = [op](const Rs& r) { return ref::glu(r[0], r[1], op); };
        const std::string n = std::string("glu_") + g.name;
        out.push_back(make(n + "_130x5x2", {in(T::F32, {130, 5, 2}, uniform(-6, 6)), in(T::F32, {130, 5, 2}, uniform(-2, 2))},
                           build, reference, kF32Func));
        // gate and up as the two halves of one fused projection output.
        out.push_back(make(n + "_split_views_65x4", {in(T::F32, {130, 4}, uniform(-6, 6))}, build, reference, kF32Func,
                           [](Layout& l, const As& a) {
                               return As{l.view(a[0], {65, 4}, {130 * 4}, 0), l.view(a[0], {65, 4}, {130 * 4}, 65 * 4)};
                           }));
        out.push_back(make(n + "_transposed_7x33", {in(T::F32, {33, 7}, uniform(-6, 6)), in(T::F32, {7, 33})}, build,
                           reference, kF32Func, transpose_first));
    }
    out.push_back(make("glu_swiglu_via_swiglu_33x3", {in(T::F32, {33, 3}, uniform(-6, 6)), in(T::F32, {33, 3})},
                       [](ggml::Context& c, const Ts& t) { return ggml::swiglu(c, t[0], t[1]); },
                       [](const Rs& r) { return ref::glu(r[0], r[1], ggml::GluOp::SwiGlu); }, kF32Func));
    out.push_back(make("glu_geglu_tanh_via_geglu_33x3", {in(T::F32, {33, 3}, uniform(-6, 6)), in(T::F32, {33, 3})},
                       [](ggml::Context& c, const Ts& t) { return ggml::geglu(c, t[0], t[1]); },
                       [](const Rs& r) { return ref::glu(r[0], r[1], ggml::GluOp::GeGluTanh); }, kF32Func));
}

}  // namespace

void add_elementwise_cases(std::vector<OpCase>& out) {
    binary_cases(out);
    unary_like_cases(out);
    glu_cases(out);
}

}  // namespace optest
