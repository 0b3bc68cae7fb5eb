// The reference checked on hand-computed values, so it cannot silently be wrong; and its independent
// f16/bf16 conversions checked against the library's (they must agree bit for bit).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "ops/reference.h"

namespace {

using ggml::Type;

// A contiguous F32 reference tensor over floats.
struct F32 {
    std::vector<float> v;
    ref::Tensor t;
    F32(std::vector<float> values, std::initializer_list<int64_t> dims) : v(std::move(values)) {
        int64_t ne[4] = {1, 1, 1, 1};
        int i = 0;
        for (int64_t d : dims) ne[i++] = d;
        t = ref::leaf(Type::F32, ne, reinterpret_cast<const uint8_t*>(v.data()));
    }
};
struct I32 {
    std::vector<int32_t> v;
    ref::Tensor t;
    explicit I32(std::vector<int32_t> values) : v(std::move(values)) {
        const int64_t ne[4] = {int64_t(v.size()), 1, 1, 1};
        t = ref::leaf(Type::I32, ne, reinterpret_cast<const uint8_t*>(v.data()));
    }
};

const double kTight = 1e-12;

}  // namespace

TEST_CASE("reference: soft_max of [0, ln 2] is [1/3, 2/3]", "[ops][reference]") {
    F32 a({0.0f, float(std::log(2.0))}, {2});
    ref::Result r = ref::soft_max(a.t, nullptr, 1.0, 0.0);
    CHECK(r.v[0] == Approx(1.0 / 3.0).epsilon(1e-7));  // ln 2 is rounded to float
    CHECK(r.v[1] == Approx(2.0 / 3.0).epsilon(1e-7));
    // A -inf mask entry removes that column; scale multiplies the inputs.
    F32 m({0.0f, -INFINITY}, {2});
    r = ref::soft_max(a.t, &m.t, 1.0, 0.0);
    CHECK(r.v[0] == 1.0);
    CHECK(r.v[1] == 0.0);
    F32 b({0.0f, 1.0f}, {2});
    r = ref::soft_max(b.t, nullptr, std::log(3.0), 0.0);
    CHECK(r.v[0] == Approx(0.25).epsilon(kTight));
    CHECK(r.v[1] == Approx(0.75).epsilon(kTight));
}

TEST_CASE("reference: ALiBi slopes", "[ops][reference]") {
    CHECK(ref::alibi_slope(3, 8, 0.0) == 1.0);
    // 8 heads, max_bias 8: 2^-(h+1).
    for (int h = 0; h < 8; h++) CHECK(ref::alibi_slope(h, 8, 8.0) == Approx(std::pow(2.0, -(h + 1))).epsilon(kTight));
    // 6 heads: n = 4, m0 = 2^-2, m1 = 2^-1; heads 4 and 5 get m1^1 and m1^3.
    CHECK(ref::alibi_slope(0, 6, 8.0) == Approx(0.25).epsilon(kTight));
    CHECK(ref::alibi_slope(3, 6, 8.0) == Approx(std::pow(0.25, 4)).epsilon(kTight));
    CHECK(ref::alibi_slope(4, 6, 8.0) == Approx(0.5).epsilon(kTight));
    CHECK(ref::alibi_slope(5, 6, 8.0) == Approx(0.125).epsilon(kTight));
    // Through soft_max: head 1 of 2 with max_bias 2 has slope 2^-2; mask [0, -4] -> logits [0, -1].
    F32 a(std::vector<float>(4, 0.0f), {2, 1, 2});
    F32 m({0.0f, -4.0f}, {2});
    ref::Result r = ref::soft_max(a.t, &m.t, 1.0, 2.0);
    CHECK(r.v[2] == Approx(1.0 / (1.0 + std::exp(-1.0))).epsilon(kTight));
    CHECK(r.v[0] == Approx(1.0 / (1.0 + std::exp(-2.0))).epsilon(kTight));  // head 0: slope 2^-1
}

TEST_CASE("reference: rope rotates pairs by theta", "[ops][reference]") {
    I32 pos({1});
    ggml::RopeParams p;
    p.n_dims = 2;
    // Normal, head 2: [1, 0] at position 1 -> [cos 1, sin 1] (theta = 1 for pair 0).
    F32 x({1.0f, 0.0f}, {2, 1, 1});
    ref::Result r = ref::rope(x.t, pos.t, nullptr, p);
    CHECK(r.v[0] == Approx(std::cos(1.0)).epsilon(kTight));
    CHECK(r.v[1] == Approx(std::sin(1.0)).epsilon(kTight));

    // Neox, head 4: pairs (0, 2) and (1, 3); pair 1 has theta = base^(-2/4) = 0.01.
    p.n_dims = 4;
    p.mode = ggml::RopeMode::Neox;
    F32 y({1.0f, 1.0f, 0.0f, 0.0f}, {4, 1, 1});
    r = ref::rope(y.t, pos.t, nullptr, p);
    CHECK(r.v[0] == Approx(std::cos(1.0)).epsilon(kTight));
    CHECK(r.v[2] == Approx(std::sin(1.0)).epsilon(kTight));
    CHECK(r.v[1] == Approx(std::cos(0.01)).epsilon(kTight));
    CHECK(r.v[3] == Approx(std::sin(0.01)).epsilon(kTight));

    // Normal, head 4, n_dims 2: elements 2 and 3 pass through; position 3, freq factor 2 -> theta 1.5.
    p.n_dims = 2;
    p.mode = ggml::RopeMode::Normal;
    I32 pos3({3});
    F32 ff({2.0f}, {1});
    F32 z({0.0f, 1.0f, 5.0f, -6.0f}, {4, 1, 1});
    r = ref::rope(z.t, pos3.t, &ff.t, p);
    CHECK(r.v[0] == Approx(-std::sin(1.5)).epsilon(kTight));
    CHECK(r.v[1] == Approx(std::cos(1.5)).epsilon(kTight));
    CHECK(r.v[2] == 5.0);
    CHECK(r.v[3] == -6.0);

    // Linear scaling and attention factor: theta = 0.25 * pos, magnitude 0.5.
    p.freq_scale = 0.25f;
    p.attn_factor = 0.5f;
    I32 pos4({4});
    F32 u({1.0f, 0.0f}, {2, 1, 1});
    r = ref::rope(u.t, pos4.t, nullptr, p);
    CHECK(r.v[0] == Approx(0.5 * std::cos(1.0)).epsilon(kTight));
    CHECK(r.v[1] == Approx(0.5 * std::sin(1.0)).epsilon(kTight));
}

TEST_CASE("reference: YaRN ramp and magnitude", "[ops][reference]") {
    // n_dims 64, base 10000, n_ctx_orig 64, beta 32/1: corr(32) = -3.98 -> low 0; corr(1) = 8.06 -> high 9.
    ggml::RopeParams p;
    p.n_dims = 64;
    p.n_ctx_orig = 64;
    p.freq_scale = 0.25f;
    p.ext_factor = 1.0f;
    double ms = 0;
    const double pos = 10;
    // Pair 0: fully extrapolated (theta = pos).
    CHECK(ref::rope_theta(0, pos, p, 1.0, &ms) == Approx(pos).epsilon(kTight));
    CHECK(ms == Approx(1.0 + 0.1 * std::log(4.0)).epsilon(kTight));
    // Pair 20 (>= high): fully interpolated.
    const double t20 = pos * std::pow(10000.0, -40.0 / 64.0);
    CHECK(ref::rope_theta(20, pos, p, 1.0, &ms) == Approx(0.25 * t20).epsilon(kTight));
    // Pair 3: y = 3/9, mix = 2/3.
    const double t3 = pos * std::pow(10000.0, -6.0 / 64.0);
    CHECK(ref::rope_theta(3, pos, p, 1.0, &ms) == Approx(t3 * (0.25 / 3.0 + 2.0 / 3.0)).epsilon(kTight));
    // Without ext_factor: plain interpolation, attn_factor as given.
    p.ext_factor = 0.0f;
    p.attn_factor = 0.8f;
    CHECK(ref::rope_theta(3, pos, p, 2.0, &ms) == Approx(0.25 * t3 / 2.0).epsilon(kTight));
    CHECK(ms == Approx(0.8).epsilon(1e-7));
}

TEST_CASE("reference: norms, reductions, activations", "[ops][reference]") {
    F32 a({3.0f, 4.0f}, {2});
    ref::Result r = ref::rms_norm(a.t, 0.0);
    CHECK(r.v[0] == Approx(3.0 / std::sqrt(12.5)).epsilon(kTight));
    CHECK(r.v[1] == Approx(4.0 / std::sqrt(12.5)).epsilon(kTight));
    F32 b({1.0f, 3.0f}, {2});
    r = ref::norm(b.t, 0.0);
    CHECK(r.v[0] == Approx(-1.0).epsilon(kTight));
    CHECK(r.v[1] == Approx(1.0).epsilon(kTight));
    r = ref::norm(b.t, 3.0);  // var 1 + eps 3 -> divide by 2
    CHECK(r.v[1] == Approx(0.5).epsilon(kTight));

    F32 c({1.0f, 2.0f, 3.0f, 10.0f, 10.0f, -1.0f}, {3, 2});
    r = ref::sum_rows(c.t);
    CHECK(r.v == std::vector<double>{6.0, 19.0});
    r = ref::mean(c.t);
    CHECK(r.v[0] == Approx(2.0).epsilon(kTight));
    r = ref::argmax(c.t);
    CHECK(r.v == std::vector<double>{2.0, 0.0});  // the first of the tied maxima

    CHECK(ref::unary_fn(ggml::UnaryOp::Silu, 1.0) == Approx(0.7310585786300049).epsilon(kTight));
    CHECK(ref::unary_fn(ggml::UnaryOp::GeluErf, 1.0) == Approx(0.8413447460685429).epsilon(kTight));
    CHECK(ref::unary_fn(ggml::UnaryOp::GeluTanh, 1.0) == Approx(0.8411919906082768).epsilon(kTight));
    CHECK(ref::unary_fn(ggml::UnaryOp::Relu, -2.0) == 0.0);
    CHECK(ref::unary_fn(ggml::UnaryOp::Neg, 2.0) == -2.0);
}

TEST_CASE("reference: mul_mat, get_rows, concat, cpy and layout", "[ops][reference]") {
    // a: 2 rows of K = 2 ([1, 2], [3, 4]); b: 1 column [5, 6] -> [17, 39].
    F32 a({1, 2, 3, 4}, {2, 2});
    F32 b({5, 6}, {2, 1});
    ref::Result r = ref::mul_mat(a.t, b.t);
    CHECK(r.ne[0] == 2);
    CHECK(r.v == std::vector<double>{17.0, 39.0});
    // Grouped: a2 = 1 shared by b2 = 2.
    F32 b2({5, 6, 1, 0}, {2, 1, 2});
    r = ref::mul_mat(a.t, b2.t);
    CHECK(r.v == std::vector<double>{17.0, 39.0, 1.0, 3.0});

    I32 idx({1, 0, 1});
    r = ref::get_rows(a.t, idx.t);
    CHECK(r.v == std::vector<double>{3, 4, 1, 2, 3, 4});

    r = ref::concat(a.t, b.t, 1);
    CHECK(r.v == std::vector<double>{1, 2, 3, 4, 5, 6});

    // Transpose reads through strides: [[1, 2], [3, 4]] -> [[1, 3], [2, 4]].
    r = ref::cast(ref::transpose(a.t), Type::F32);
    CHECK(r.v == std::vector<double>{1, 3, 2, 4});
    // permute(1, 2, 0, 3) of [2, 3, 4]: result dims [4, 2, 3], result(i2, i0, i1) = source(i0, i1, i2).
    std::vector<float> src(24);
    for (int i = 0; i < 24; i++) src[size_t(i)] = float(i);
    F32 s(src, {2, 3, 4});
    ref::Tensor pm = ref::permute(s.t, 1, 2, 0, 3);
    CHECK(pm.ne[0] == 4);
    CHECK(pm.ne[1] == 2);
    CHECK(pm.ne[2] == 3);
    CHECK(pm.at(3, 1, 2) == s.t.at(1, 2, 3));

    // cpy into a view: only the viewed elements change, in row-major order.
    F32 dst({9, 9, 9, 9, 9, 9}, {3, 2});
    const int64_t vne[4] = {2, 2, 1, 1};
    ref::Tensor view = ref::view(dst.t, vne, 12, 24, 24, 4);  // columns 1..2 of both rows
    F32 src2({1, 2, 3, 4}, {4});
    r = ref::cpy(src2.t, view, dst.t);
    CHECK(r.v == std::vector<double>{9, 1, 2, 9, 3, 4});
}

TEST_CASE("reference: rounding to f16 and bf16", "[ops][reference]") {
    const double u = std::ldexp(1.0, -10);
    CHECK(ref::round_to_type(Type::F16, 1.0 + u / 2) == 1.0);               // tie -> even
    CHECK(ref::round_to_type(Type::F16, 1.0 + 3 * u / 2) == 1.0 + 2 * u);   // tie -> even
    CHECK(ref::round_to_type(Type::F16, 1.0 + u * 0.51) == 1.0 + u);
    CHECK(ref::round_to_type(Type::F16, 65519.0) == 65504.0);
    CHECK(std::isinf(ref::round_to_type(Type::F16, 65520.0)));
    CHECK(ref::round_to_type(Type::F16, std::ldexp(1.0, -25)) == 0.0);                     // tie -> 0
    CHECK(ref::round_to_type(Type::F16, 3 * std::ldexp(1.0, -25)) == std::ldexp(1.0, -23)); // tie -> 2 units
    CHECK(ref::round_to_type(Type::BF16, 1.0 + std::ldexp(1.0, -8)) == 1.0);
    CHECK(ref::round_to_type(Type::BF16, 1.0 + 3 * std::ldexp(1.0, -8)) == 1.0 + std::ldexp(1.0, -6));
    CHECK(ref::f16_bits_to_double(0x3c00) == 1.0);
    CHECK(ref::f16_bits_to_double(0xc000) == -2.0);
    CHECK(ref::f16_bits_to_double(0x0001) == std::ldexp(1.0, -24));
    CHECK(ref::f16_bits_to_double(0x7bff) == 65504.0);
    CHECK(ref::bf16_bits_to_double(0x3f80) == 1.0);
    uint8_t buf[2];
    ref::encode(Type::F16, -1.5, buf);
    uint16_t h;
    std::memcpy(&h, buf, 2);
    CHECK(h == 0xbe00);
}

TEST_CASE("reference conversions agree with the library's", "[ops][reference][type]") {
    // Decoding: every 16-bit pattern (NaNs compared as NaN).
    int bad16 = 0, badbf = 0;
    for (uint32_t b = 0; b < 65536; b++) {
        const double mine = ref::f16_bits_to_double(uint16_t(b));
        const double lib = ggml::fp16_to_fp32(uint16_t(b));
        if (!(mine == lib || (std::isnan(mine) && std::isnan(lib)))) bad16++;
        const double mine_bf = ref::bf16_bits_to_double(uint16_t(b));
        const double lib_bf = ggml::bf16_to_fp32(uint16_t(b));
        if (!(mine_bf == lib_bf || (std::isnan(mine_bf) && std::isnan(lib_bf)))) badbf++;
    }
    CHECK(bad16 == 0);
    CHECK(badbf == 0);
    // Encoding: round-to-nearest-even on a spread of floats, including ties, subnormals and overflow.
    std::vector<float> xs = {0.0f, -0.0f, 1.0f, 65504.0f, 65519.0f, 65520.0f, -65520.0f, 1e-8f, 3e-8f, 6.1e-5f,
                             float(1.0 + std::ldexp(1.0, -11)), float(1.0 + 3 * std::ldexp(1.0, -11)),
                             float(1.0 + std::ldexp(1.0, -8)), float(1.0 + 3 * std::ldexp(1.0, -8)), 1e-40f, 3.4e38f,
                             INFINITY, -INFINITY};
    uint64_t s = 12345;
    for (int i = 0; i < 20000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t bits = uint32_t(s >> 32);
        float f;
        std::memcpy(&f, &bits, 4);
        if (!std::isnan(f)) xs.push_back(f);
        // And values near the f16 range with low bits at a tie.
        xs.push_back(float(std::ldexp(double((bits & 0xffff) | 1) + 0.5, int(bits >> 27) - 24)));
    }
    int bad_e16 = 0, bad_ebf = 0;
    float first_bad16 = 0, first_badbf = 0;
    for (float f : xs) {
        const double want16 = ref::round_to_type(Type::F16, f);
        const double got16 = ggml::fp16_to_fp32(ggml::fp32_to_fp16(f));
        if (!(want16 == got16 && std::signbit(want16) == std::signbit(got16))) {
            if (bad_e16++ == 0) first_bad16 = f;
        }
        const double wantbf = ref::round_to_type(Type::BF16, f);
        const double gotbf = ggml::bf16_to_fp32(ggml::fp32_to_bf16(f));
        if (!(wantbf == gotbf && std::signbit(wantbf) == std::signbit(gotbf))) {
            if (bad_ebf++ == 0) first_badbf = f;
        }
    }
    INFO("first f16 mismatch at " << first_bad16 << ", first bf16 mismatch at " << first_badbf);
    CHECK(bad_e16 == 0);
    CHECK(bad_ebf == 0);
    // NaN stays NaN.
    CHECK(std::isnan(ggml::fp16_to_fp32(ggml::fp32_to_fp16(NAN))));
    CHECK(std::isnan(ggml::bf16_to_fp32(ggml::fp32_to_bf16(NAN))));
}
