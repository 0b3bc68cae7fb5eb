// Shorthands for writing the op table (internal to tests/ops).
#pragma once
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "ops/op_cases.h"

namespace optest {

using T = ggml::Type;
using Ts = std::vector<ggml::Tensor*>;
using Rs = std::vector<ref::Tensor>;
using As = std::vector<Arg>;
using BuildFn = std::function<ggml::Tensor*(ggml::Context&, const Ts&)>;
using RefFn = std::function<ref::Result(const Rs&)>;
using ArgsFn = std::function<As(Layout&, const As&)>;
using Gen = std::function<double(const int64_t i[4], Rng& rng)>;

inline Gen uniform(double lo, double hi) {
    return [lo, hi](const int64_t*, Rng& r) { return r.uniform(lo, hi); };
}
inline Gen integers(int64_t lo, int64_t hi) {
    return [lo, hi](const int64_t*, Rng& r) { return double(r.integer(lo, hi)); };
}
// Magnitude in [lo, hi] with a random sign (divisors away from zero).
inline Gen signed_range(double lo, double hi) {
    return [lo, hi](const int64_t*, Rng& r) { return (r.next() & 1 ? -1.0 : 1.0) * r.uniform(lo, hi); };
}

inline InputSpec in(T type, std::initializer_list<int64_t> ne, Gen gen = uniform(-1, 1)) {
    InputSpec s;
    s.type = type;
    int i = 0;
    for (int64_t v : ne) s.ne[i++] = v;
    s.gen = std::move(gen);
    return s;
}
inline InputSpec in_values(T type, std::initializer_list<int64_t> ne, std::vector<double> values) {
    InputSpec s = in(type, ne);
    s.values = std::move(values);
    return s;
}

inline OpCase make(std::string name, std::vector<InputSpec> inputs, BuildFn build, RefFn reference, Tolerance tol,
                   ArgsFn args = nullptr) {
    OpCase c;
    c.name = std::move(name);
    c.inputs = std::move(inputs);
    c.build = std::move(build);
    c.reference = std::move(reference);
    c.tol = tol;
    c.args = std::move(args);
    return c;
}

inline std::string tname(T t) { return ggml::type_name(t); }

// Tolerances.
constexpr Tolerance kExact{0, 0};
constexpr Tolerance kF32Arith{1e-7, 3e-7};  // one float rounding of an exact operation
constexpr Tolerance kF32Func{2e-6, 1e-5};   // float transcendental functions
constexpr Tolerance kRowwise{1e-5, 1e-5};   // reductions over a row, then elementwise

// Argument transforms used by many cases.
inline As transpose_first(Layout& l, const As& a) {
    As r = a;
    r[0] = l.transpose(a[0]);
    return r;
}
inline As permute_first_0213(Layout& l, const As& a) {
    As r = a;
    r[0] = l.permute(a[0], 0, 2, 1, 3);
    return r;
}

void add_copy_cases(std::vector<OpCase>& out);
void add_elementwise_cases(std::vector<OpCase>& out);
void add_rowwise_cases(std::vector<OpCase>& out);
void add_rope_cases(std::vector<OpCase>& out);
void add_mul_mat_cases(std::vector<OpCase>& out);
void add_attention_cases(std::vector<OpCase>& out);

}  // namespace optest
