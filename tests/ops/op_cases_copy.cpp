// Table cases for the copy ops: cpy, cont, cast, concat, get_rows. All exact.
#include <cmath>

#include "ops/case_helpers.h"

namespace optest {

namespace {

const T kFloatTypes[] = {T::F32, T::F16, T::BF16};

// Values that exercise rounding: ties to even, subnormals, overflow, signed zero (as f32 inputs).
std::vector<double> rounding_values() {
    const double t16 = std::ldexp(1.0, -11), t8 = std::ldexp(1.0, -8);
    return {
        1.0 + t16, 1.0 + 3 * t16, -(1.0 + t16), -(1.0 + 3 * t16),  // f16 ties around 1
        1.0 + t8, 1.0 + 3 * t8, -(1.0 + 5 * t8), 2.0 + 2 * t8,      // bf16 ties around 1 and 2
        std::ldexp(1.0, -25), 3 * std::ldexp(1.0, -25),             // f16 subnormal ties
        std::ldexp(1.0, -20) * 1.3, 6.1e-5, 6.2e-5, 1e-10,          // f16 subnormal / min normal / underflow
        65504.0, 65519.0, 65520.0, -65520.0, 1e5,                   // f16 largest, rounding to max, overflow
        1e-40, -3e-39, 3.0e38, 3.39e38,                             // bf16 subnormals and near overflow
        -0.0, 0.0, 0.1, -0.3, 1.0 / 3.0, 2.0 / 3.0, 1234.567, -7.125,
    };
}

ggml::Tensor* build_cpy(ggml::Context& c, const Ts& t) { return ggml::cpy(c, t[0], t[1]); }

void cpy_cases(std::vector<OpCase>& out) {
    // Every type pair, contiguous.
    for (T s : kFloatTypes)
        for (T d : kFloatTypes) {
            OpCase c = make("cpy_" + tname(s) + "_" + tname(d) + "_7x3x2", {in(s, {7, 3, 2}, uniform(-3, 3)), in(d, {7, 3, 2})},
                            build_cpy, [](const Rs& r) { return ref::cpy(r[0], r[1], r[1]); }, kExact);
            c.read_leaf = 1;
            out.push_back(c);
        }
    // Rounding edge cases (from f32 and between half types).
    for (T d : {T::F16, T::BF16}) {
        OpCase c = make("cpy_f32_" + tname(d) + "_rounding", {in_values(T::F32, {33, 1}, rounding_values()), in(d, {33, 1})},
                        build_cpy, [](const Rs& r) { return ref::cpy(r[0], r[1], r[1]); }, kExact);
        c.read_leaf = 1;
        out.push_back(c);
    }
    {
        OpCase c = make("cpy_bf16_f16_rounding", {in(T::BF16, {65, 2}, signed_range(1e-9, 2e5)), in(T::F16, {65, 2})},
                        build_cpy, [](const Rs& r) { return ref::cpy(r[0], r[1], r[1]); }, kExact);
        c.read_leaf = 1;
        out.push_back(c);
    }
    // Non-contiguous sources, different destination shapes.
    {
        OpCase c = make("cpy_f32_f16_transposed_src_33x5", {in(T::F32, {5, 33}), in(T::F16, {33, 5})}, build_cpy,
                        [](const Rs& r) { return ref::cpy(r[0], r[1], r[1]); }, kExact, transpose_first);
        c.read_leaf = 1;
        out.push_back(c);
    }
    {
        OpCase c = make("cpy_f16_f32_permuted_src_reshaped_dst", {in(T::F16, {4, 3, 5, 2}), in(T::F32, {20, 6})},
                        build_cpy, [](const Rs& r) { return ref::cpy(r[0], r[1], r[1]); }, kExact,
                        permute_first_0213);
        c.read_leaf = 1;
        out.push_back(c);
    }
    {
        OpCase c = make("cpy_f32_f32_row_view_src", {in(T::F32, {10, 4}), in(T::F32, {8, 3})}, build_cpy,
                        [](const Rs& r) { return ref::cpy(r[0], r[1], r[1]); }, kExact, [](Layout& l, const As& a) {
                            return As{l.view(a[0], {6, 4}, {40}, 8), a[1]};
                        });
        c.read_leaf = 1;
        out.push_back(c);
    }
    // Writes into a view of a larger destination (KV-cache style): the rest of it must stay untouched.
    for (T d : kFloatTypes) {
        OpCase c = make("cpy_f32_" + tname(d) + "_into_cache_rows", {in(T::F32, {16, 3}), in(d, {16, 10}, uniform(5, 6))},
                        build_cpy, [](const Rs& r) { return ref::cpy(r[0], r[1], r[2]); }, kExact,
                        [d](Layout& l, const As& a) {
                            const size_t es = ref::type_size(d);
                            return As{a[0], l.view(a[1], {16, 3}, {16 * es}, 4 * 16 * es), a[1]};
                        });
        c.read_leaf = 1;
        out.push_back(c);
    }
    {
        // Transposed destination (a V cache stored as [cells, dims]).
        OpCase c = make("cpy_f32_f16_into_transposed_cache", {in(T::F32, {8, 3}), in(T::F16, {6, 8}, uniform(5, 6))},
                        build_cpy, [](const Rs& r) { return ref::cpy(r[0], r[1], r[2]); }, kExact,
                        [](Layout& l, const As& a) {
                            // dst view: [3 cells starting at cell 2, 8 dims] transposed to [8, 3].
                            Arg v = l.view(a[1], {3, 8}, {6 * 2}, 2 * 2);
                            return As{a[0], l.transpose(v), a[1]};
                        });
        c.read_leaf = 1;
        out.push_back(c);
    }
}

void cont_cast_cases(std::vector<OpCase>& out) {
    auto cont = [](ggml::Context& c, const Ts& t) { return ggml::cont(c, t[0]); };
    for (T t : kFloatTypes) {
        out.push_back(make("cont_" + tname(t) + "_transposed_33x7", {in(t, {7, 33})}, cont,
                           [t](const Rs& r) { return ref::cast(r[0], t); }, kExact, transpose_first));
        out.push_back(make("cont_" + tname(t) + "_permuted_0213", {in(t, {8, 3, 5, 2})}, cont,
                           [t](const Rs& r) { return ref::cast(r[0], t); }, kExact, permute_first_0213));
    }
    out.push_back(make("cont_f32_permuted_1203", {in(T::F32, {3, 4, 5})}, cont,
                       [](const Rs& r) { return ref::cast(r[0], T::F32); }, kExact,
                       [](Layout& l, const As& a) { return As{l.permute(a[0], 1, 2, 0, 3)}; }));
    out.push_back(make("cont_f32_row_view", {in(T::F32, {12, 5, 3})}, cont,
                       [](const Rs& r) { return ref::cast(r[0], T::F32); }, kExact,
                       [](Layout& l, const As& a) { return As{l.view(a[0], {7, 5, 3}, {48, 240}, 8)}; }));
    out.push_back(make("cont_f32_contiguous_1x1", {in(T::F32, {1})}, cont,
                       [](const Rs& r) { return ref::cast(r[0], T::F32); }, kExact));

    for (T s : kFloatTypes)
        for (T d : kFloatTypes) {
            if (s == d) continue;
            out.push_back(make("cast_" + tname(s) + "_" + tname(d) + "_33x7x2", {in(s, {33, 7, 2}, uniform(-100, 100))},
                               [d](ggml::Context& c, const Ts& t) { return ggml::cast(c, t[0], d); },
                               [d](const Rs& r) { return ref::cast(r[0], d); }, kExact));
        }
    out.push_back(make("cast_f32_f16_transposed_65x3", {in(T::F32, {3, 65})},
                       [](ggml::Context& c, const Ts& t) { return ggml::cast(c, t[0], T::F16); },
                       [](const Rs& r) { return ref::cast(r[0], T::F16); }, kExact, transpose_first));
    out.push_back(make("cast_f32_bf16_rounding", {in_values(T::F32, {33}, rounding_values())},
                       [](ggml::Context& c, const Ts& t) { return ggml::cast(c, t[0], T::BF16); },
                       [](const Rs& r) { return ref::cast(r[0], T::BF16); }, kExact));
    out.push_back(make("cast_f32_f16_rounding", {in_values(T::F32, {33}, rounding_values())},
                       [](ggml::Context& c, const Ts& t) { return ggml::cast(c, t[0], T::F16); },
                       [](const Rs& r) { return ref::cast(r[0], T::F16); }, kExact));
}

void concat_cases(std::vector<OpCase>& out) {
    const int64_t base[4] = {5, 3, 2, 2};
    const int64_t extra[4] = {4, 1, 3, 1};
    for (int dim = 0; dim < 4; dim++) {
        int64_t b[4] = {base[0], base[1], base[2], base[3]};
        b[dim] = extra[dim];
        out.push_back(make("concat_f32_dim" + std::to_string(dim), {in(T::F32, {5, 3, 2, 2}), in(T::F32, {b[0], b[1], b[2], b[3]})},
                           [dim](ggml::Context& c, const Ts& t) { return ggml::concat(c, t[0], t[1], dim); },
                           [dim](const Rs& r) { return ref::concat(r[0], r[1], dim); }, kExact));
    }
    out.push_back(make("concat_f16_dim1", {in(T::F16, {33, 2, 3}), in(T::F16, {33, 5, 3})},
                       [](ggml::Context& c, const Ts& t) { return ggml::concat(c, t[0], t[1], 1); },
                       [](const Rs& r) { return ref::concat(r[0], r[1], 1); }, kExact));
    out.push_back(make("concat_bf16_dim0", {in(T::BF16, {7, 3}), in(T::BF16, {1, 3})},
                       [](ggml::Context& c, const Ts& t) { return ggml::concat(c, t[0], t[1], 0); },
                       [](const Rs& r) { return ref::concat(r[0], r[1], 0); }, kExact));
    out.push_back(make("concat_f32_dim0_transposed_a", {in(T::F32, {3, 5}), in(T::F32, {7, 3})},
                       [](ggml::Context& c, const Ts& t) { return ggml::concat(c, t[0], t[1], 0); },
                       [](const Rs& r) { return ref::concat(r[0], r[1], 0); }, kExact, transpose_first));
    out.push_back(make("concat_f32_dim1_transposed_a", {in(T::F32, {3, 5}), in(T::F32, {5, 2})},
                       [](ggml::Context& c, const Ts& t) { return ggml::concat(c, t[0], t[1], 1); },
                       [](const Rs& r) { return ref::concat(r[0], r[1], 1); }, kExact, transpose_first));
    out.push_back(make("concat_f32_dim2_permuted_b", {in(T::F32, {4, 3, 2}), in(T::F32, {4, 5, 3})},
                       [](ggml::Context& c, const Ts& t) { return ggml::concat(c, t[0], t[1], 2); },
                       [](const Rs& r) { return ref::concat(r[0], r[1], 2); }, kExact,
                       [](Layout& l, const As& a) { return As{a[0], l.permute(a[1], 0, 2, 1, 3)}; }));
}

void get_rows_cases(std::vector<OpCase>& out) {
    auto build = [](ggml::Context& c, const Ts& t) { return ggml::get_rows(c, t[0], t[1]); };
    auto reference = [](const Rs& r) { return ref::get_rows(r[0], r[1]); };
    for (T t : kFloatTypes) {
        out.push_back(make("get_rows_" + tname(t) + "_65x9_idx5", {in(t, {65, 9}), in(T::I32, {5}, integers(0, 8))}, build,
                           reference, kExact));
        out.push_back(make("get_rows_" + tname(t) + "_batched_7x5x3x2", {in(t, {7, 5, 3, 2}), in(T::I32, {4, 3, 2}, integers(0, 4))},
                           build, reference, kExact));
    }
    out.push_back(make("get_rows_f16_130x4_repeats", {in(T::F16, {130, 4}), in_values(T::I32, {7}, {3, 3, 0, 1, 3, 2, 0})},
                       build, reference, kExact));
    out.push_back(make("get_rows_f32_1x6", {in(T::F32, {1, 6}), in(T::I32, {6}, integers(0, 5))}, build, reference, kExact));
    out.push_back(make("get_rows_f32_row_view", {in(T::F32, {10, 8}), in(T::I32, {3}, integers(0, 7))}, build, reference,
                       kExact, [](Layout& l, const As& a) { return As{l.view(a[0], {6, 8}, {40}, 4), a[1]}; }));
    // A table of 147 MB (over lavapipe's 128 MiB binding range): rows from both ends, the middle and both
    // sides of the first chunk's end (8191 rows of 16 KiB fit a binding).
    out.push_back(make("get_rows_big_f32_4096x9000",
                       {in(T::F32, {4096, 9000}), in_values(T::I32, {6}, {8999, 0, 4500, 8190, 8191, 1})}, build,
                       reference, kExact));
}

}  // namespace

void add_copy_cases(std::vector<OpCase>& out) {
    cpy_cases(out);
    cont_cast_cases(out);
    concat_cases(out);
    get_rows_cases(out);
}

}  // namespace optest
