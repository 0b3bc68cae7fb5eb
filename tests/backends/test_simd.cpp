// The CPU SIMD layer: every vec.h kernel at every SIMD level this machine has, against the scalar level;
// the half-precision conversions bit for bit; op_mul_mat against a double-precision triple loop.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/features.h"
#include "backends/cpu/gemm.h"
#include "backends/cpu/ops/ops.h"
#include "backends/cpu/vec.h"
#include "backends/simd_levels.h"
#include "ggml/tensor.h"
#include "ggml/type.h"

using namespace ggml;
using namespace ggml::cpu;

namespace {

const int64_t kLengths[] = {0, 1, 7, 31, 33, 1003};

// Random floats at an odd offset (so SIMD loads are unaligned).
struct Data {
    std::vector<float> store;
    float* p;
    Data(int64_t n, float lo, float hi, uint32_t seed) : store(size_t(n) + 1) {
        std::mt19937 rng(seed);
        std::uniform_real_distribution<float> d(lo, hi);
        for (auto& x : store) x = d(rng);
        p = store.data() + 1;
    }
};

uint32_t bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

}  // namespace

TEST_CASE("features: probe and level cap", "[simd]") {
    const Features& f = features();
    if (f.avx512) CHECK(f.avx2);
    force_simd_level("scalar");
    CHECK(std::string(simd_level_name()) == "scalar");
    force_simd_level("avx512");  // capped to what the machine has
    const std::string capped = simd_level_name();
    CHECK((capped == "avx512" || !f.avx512));
    force_simd_level("");
    const std::string best = simd_level_name();
    if (f.avx512) CHECK(best == "avx512");
    else if (f.avx2) CHECK(best == "avx2");
    else if (f.neon_dotprod) CHECK(best == "dotprod");
    else if (f.neon) CHECK(best == "neon");
    else CHECK(best == "scalar");
    for (auto& l : simd_levels()) {
        force_simd_level(l.c_str());
        CHECK(std::string(simd_level_name()) == l);
    }
    force_simd_level("");
}

TEST_CASE("vec: elementwise kernels match scalar exactly", "[simd]") {
    for (const auto& level : simd_levels()) {
        for (int64_t n : kLengths) {
            INFO("level " << level << " n " << n);
            Data x(n, -3, 3, 1), y(n, 0.5f, 2, 2);
            using Bin = void (*)(int64_t, float*, const float*, const float*);
            for (Bin fn : {Bin(vec_add), Bin(vec_sub), Bin(vec_mul), Bin(vec_div)}) {
                std::vector<float> want(size_t(n) + 1), got(size_t(n) + 1);
                at_level("scalar", [&] { fn(n, want.data() + 1, x.p, y.p); return 0; });
                at_level(level, [&] { fn(n, got.data() + 1, x.p, y.p); return 0; });
                CHECK(want == got);
            }
            std::vector<float> want(size_t(n) + 1), got(size_t(n) + 1);
            at_level("scalar", [&] { vec_scale(n, want.data() + 1, x.p, 0.37f, -1.25f); return 0; });
            at_level(level, [&] { vec_scale(n, got.data() + 1, x.p, 0.37f, -1.25f); return 0; });
            for (int64_t i = 0; i < n; i++)  // SIMD versions fuse the multiply-add: 1 ulp
                CHECK(std::abs(want[size_t(i) + 1] - got[size_t(i) + 1]) <= 1.2e-7f * (std::abs(x.p[i] * 0.37f) + 1.25f));
            const float mw = at_level("scalar", [&] { return vec_max(n, x.p); });
            const float mg = at_level(level, [&] { return vec_max(n, x.p); });
            CHECK(bits(mw) == bits(mg));
        }
    }
}

TEST_CASE("vec: dot products and sums match scalar", "[simd]") {
    for (const auto& level : simd_levels()) {
        for (int64_t n : kLengths) {
            INFO("level " << level << " n " << n);
            Data x(n, -1, 1, 3), y(n, -1, 1, 4);
            std::vector<uint16_t> h(size_t(n) + 1), bh(size_t(n) + 1);
            double abs_sum = 0, abs_h = 0, abs_b = 0;
            for (int64_t i = 0; i < n; i++) {
                h[size_t(i) + 1] = fp32_to_fp16(x.p[i]);
                bh[size_t(i) + 1] = fp32_to_bf16(x.p[i]);
                abs_sum += std::abs(double(x.p[i]) * y.p[i]);
                abs_h += std::abs(double(fp16_to_fp32(h[size_t(i) + 1])) * y.p[i]);
                abs_b += std::abs(double(bf16_to_fp32(bh[size_t(i) + 1])) * y.p[i]);
            }
            auto check = [&](auto fn, double scale) {
                const double w = at_level("scalar", fn), g = at_level(level, fn);
                CHECK(std::abs(w - g) <= 1e-6 * scale + 1e-30);
            };
            check([&] { return vec_dot_f32(n, x.p, y.p); }, abs_sum);
            check([&] { return vec_dot_f16(n, h.data() + 1, y.p); }, abs_h);
            check([&] { return vec_dot_bf16(n, bh.data() + 1, y.p); }, abs_b);
            double sq = 0, ab = 0;
            for (int64_t i = 0; i < n; i++) sq += double(x.p[i]) * x.p[i], ab += std::abs(double(x.p[i]));
            const double sw = at_level("scalar", [&] { return vec_sum_sq(n, x.p); });
            const double sg = at_level(level, [&] { return vec_sum_sq(n, x.p); });
            CHECK(std::abs(sw - sq) <= 1e-12 * sq);
            CHECK(std::abs(sg - sq) <= 1e-12 * sq);
            const double tw = at_level("scalar", [&] { return vec_sum(n, x.p); });
            const double tg = at_level(level, [&] { return vec_sum(n, x.p); });
            CHECK(std::abs(tw - tg) <= 1e-12 * ab);
        }
    }
}

// The bandwidth probe's read: every level XORs every word of every line (a plain loop is the reference),
// at line counts around its four-line step, from an address off a 64-byte boundary.
TEST_CASE("vec: the bandwidth probe's read covers every line", "[simd]") {
    std::mt19937_64 rng(7);
    std::vector<uint64_t> words(8 * 70 + 1);
    for (auto& w : words) w = rng();
    for (const auto& level : all_levels())
        for (size_t lines : {0, 1, 3, 4, 5, 8, 37, 70}) {
            INFO("level " << level << " lines " << lines);
            uint64_t want = 0;
            for (size_t i = 0; i < lines * 8; i++) want ^= words[1 + i];
            CHECK(at_level(level, [&] { return vec_table().xor_lines(words.data() + 1, lines); }) == want);
        }
}

// The many-row dots of decode against single scalar dots: f16 and bf16 tiles of 4 x 4 and their tails
// (rows, y rows, lengths no multiple of 16), and f16 blocks of 16 short rows at and off the kernel's lengths.
TEST_CASE("vec: many-row 16-bit dots match single dots", "[simd]") {
    const int64_t ny_max = 13, nx_max = 9;  // 13 rows: two groups of four by quads, then pairs of rows
    for (const auto& level : simd_levels()) {
        for (ggml::Type type : {ggml::Type::F16, ggml::Type::BF16}) {
            const bool bf16 = type == ggml::Type::BF16;
            for (int64_t n : {int64_t(16), int64_t(40), int64_t(64), int64_t(128), int64_t(192), int64_t(256), int64_t(1003)}) {
                const size_t ldx = size_t(n) + 5, ldy = size_t(n) + 3;
                Data xf(int64_t(ldx) * 16, -1, 1, 7), y(int64_t(ldy) * ny_max, -1, 1, 8);
                std::vector<uint16_t> x(ldx * 16);
                for (size_t i = 0; i < x.size(); i++) x[i] = bf16 ? fp32_to_bf16(xf.p[i]) : fp32_to_fp16(xf.p[i]);
                std::vector<const float*> yr;
                for (int64_t j = 0; j < ny_max; j++) yr.push_back(y.p + size_t(j) * ldy);
                auto single = [&](int64_t i, int64_t j) {
                    const uint16_t* xi = x.data() + size_t(i) * ldx;
                    const float* yj = yr[size_t(j)];
                    return at_level("scalar", [&] { return bf16 ? vec_dot_bf16(n, xi, yj) : vec_dot_f16(n, xi, yj); });
                };
                const double tol = 1e-6 * double(n);  // |x|, |y| <= 1
                for (int ny = 1; ny <= ny_max; ny++) {
                    INFO("level " << level << " type " << ggml::type_name(type) << " n " << n << " ny " << ny);
                    for (int nx = 1; nx <= nx_max; nx++) {
                        std::vector<float> out(size_t(ny) * 16, 0.0f);
                        at_level(level, [&] {
                            vec_dot_block16(type, n, x.data(), ldx, nx, yr.data(), ny, out.data(), 16);
                            return 0;
                        });
                        for (int j = 0; j < ny; j++)
                            for (int i = 0; i < nx; i++)
                                CHECK(std::abs(out[size_t(j) * 16 + size_t(i)] - single(i, j)) <= tol);
                    }
                    if (bf16) continue;
                    // 32 rows: the f16 rows twice over, and as f32 rows (exactly the same values)
                    std::vector<uint16_t> x2(x);
                    x2.insert(x2.end(), x.begin(), x.end());
                    std::vector<float> xs(x2.size());
                    for (size_t i = 0; i < xs.size(); i++) xs[i] = fp16_to_fp32(x2[i]);
                    for (bool f32 : {false, true}) {
                        INFO((f32 ? "f32" : "f16") << " rows");
                        std::vector<float> out(size_t(ny) * 33, 0.0f);
                        // lines asked for on the way (the rows themselves) change nothing
                        const PrefetchRows ahead{reinterpret_cast<const char*>(x2.data()), ldx * 2, size_t(n) * 2, 32};
                        at_level(level, [&] {
                            if (f32) vec_dot_rows16(ggml::Type::F32, n, xs.data(), ldx * 4, 32, y.p, ldy, ny, out.data(), 33);
                            else vec_dot_rows16(ggml::Type::F16, n, x2.data(), ldx * 2, 32, y.p, ldy, ny, out.data(), 33, ahead);
                            return 0;
                        });
                        for (int j = 0; j < ny; j++)
                            for (int i = 0; i < 32; i++)
                                CHECK(std::abs(out[size_t(j) * 33 + size_t(i)] - single(i % 16, j)) <= tol);
                    }
                }
            }
        }
    }
}

// The quantized KV cache's block types read as f32 (vec_dequant, behind load_f32) bit for bit as the
// reference dequantizers: random blocks with every code (random minimums for the _1 types), scales of both
// signs, a zero and a subnormal one.
TEST_CASE("vec: block rows as f32 match the reference dequantizers", "[simd]") {
    const int64_t n = 32 * 9;
    for (ggml::Type type : {ggml::Type::Q8_0, ggml::Type::Q4_0, ggml::Type::Q4_1, ggml::Type::Q5_0, ggml::Type::Q5_1}) {
        const size_t bytes = row_size(type, n), block = type_traits(type).block_bytes;
        std::vector<uint8_t> x(bytes + 1);
        std::mt19937 rng(21);
        for (auto& b : x) b = uint8_t(rng());
        uint8_t* blocks = x.data() + 1;  // unaligned, like blocks inside a cache row
        const uint16_t scales[] = {0x3c00, 0xbc00, 0x0000, 0x0001, 0x5a3f, 0xd123, 0x2e66, 0x8000, 0x1234};
        for (int b = 0; b < 9; b++) std::memcpy(blocks + size_t(b) * block, &scales[b], 2);
        std::vector<float> want(static_cast<size_t>(n));
        type_traits(type).to_float(blocks, want.data(), n);
        for (const auto& level : all_levels()) {
            INFO("level " << level << " type " << ggml::type_name(type));
            std::vector<float> got(size_t(n), -1.0f);
            at_level(level, [&] {
                vec_dequant(type, blocks, got.data(), n);
                return 0;
            });
            for (int64_t i = 0; i < n; i++) CHECK(bits(got[size_t(i)]) == bits(want[size_t(i)]));
        }
    }
}

// Decode attention's value update (weighted sums of f32 / f16 / bf16 rows into accumulators) against
// double sums: every accumulator row count of the kernels (1..8 and past 8), lengths off the vector width,
// and value rows past the kernels' batch of weights (kMadKeys) with a partial batch last.
TEST_CASE("vec: weighted row sums match double sums", "[simd]") {
    for (const int64_t nx : {int64_t(37), 2 * kMadKeys + 22})
    for (const auto& level : all_levels())
        for (ggml::Type type : {ggml::Type::F32, ggml::Type::F16, ggml::Type::BF16})
            for (int64_t n : {int64_t(5), int64_t(64), int64_t(100), int64_t(128), int64_t(256)})
                for (int ny : {1, 3, 4, 5, 8, 11}) {
                    INFO("level " << level << " type " << ggml::type_name(type) << " n " << n << " ny " << ny << " nx " << nx);
                    const size_t ldx = size_t(n) + 3, ldw = size_t(nx) + 2, lda = size_t(n) + 1;
                    Data xf(int64_t(ldx) * nx, -1, 1, 11), w(int64_t(ldw) * ny, 0, 1, 12), acc0(int64_t(lda) * ny, -1, 1, 13);
                    std::vector<uint16_t> xh(ldx * size_t(nx));
                    for (size_t i = 0; i < xh.size(); i++)
                        xh[i] = type == ggml::Type::BF16 ? fp32_to_bf16(xf.p[i]) : fp32_to_fp16(xf.p[i]);
                    auto x_at = [&](int64_t i, int64_t d) {
                        const size_t k = size_t(i) * ldx + size_t(d);
                        return type == ggml::Type::F32 ? double(xf.p[k])
                               : type == ggml::Type::BF16 ? double(bf16_to_fp32(xh[k])) : double(fp16_to_fp32(xh[k]));
                    };
                    const void* x = type == ggml::Type::F32 ? static_cast<const void*>(xf.p) : xh.data();
                    const size_t ldx_bytes = ldx * (type == ggml::Type::F32 ? 4 : 2);
                    std::vector<float> acc(acc0.p, acc0.p + lda * size_t(ny));
                    const PrefetchRows ahead{static_cast<const char*>(x), ldx_bytes, ldx_bytes, nx};
                    at_level(level, [&] {
                        vec_mad_rows(type, n, x, ldx_bytes, nx, w.p, ldw, ny, acc.data(), lda, ahead);
                        return 0;
                    });
                    for (int j = 0; j < ny; j++)
                        for (int64_t d = 0; d < n; d++) {
                            double want = acc0.p[size_t(j) * lda + size_t(d)];
                            for (int64_t i = 0; i < nx; i++) want += double(w.p[size_t(j) * ldw + size_t(i)]) * x_at(i, d);
                            CHECK(std::abs(acc[size_t(j) * lda + size_t(d)] - want) <= 1e-5 * double(nx));
                        }
                    CHECK(acc[lda - 1] == acc0.p[lda - 1]);  // the padding past n is left alone
                }
}

TEST_CASE("vec: exp, silu and swiglu are accurate", "[simd]") {
    for (const auto& level : all_levels()) {
        for (int64_t n : kLengths) {
            INFO("level " << level << " n " << n);
            Data x(n, -40, 5, 5), u(n, -2, 2, 6);
            std::vector<float> z(size_t(n) + 1);
            const float m = 1.5f;
            const float s = at_level(level, [&] { return vec_exp_sum(n, z.data() + 1, x.p, m); });
            double want_sum = 0;
            for (int64_t i = 0; i < n; i++) {
                const double e = std::exp(double(x.p[i] - m));
                want_sum += e;
                CHECK(std::abs(z[size_t(i) + 1] - e) <= 3e-7 * e);
            }
            CHECK(std::abs(s - want_sum) <= 1e-6 * want_sum + 1e-30);
            Data g(n, -20, 20, 7);
            at_level(level, [&] { vec_silu(n, z.data() + 1, g.p); return 0; });
            for (int64_t i = 0; i < n; i++) {
                const double xi = g.p[i], e = xi / (1 + std::exp(-xi));
                CHECK(std::abs(z[size_t(i) + 1] - e) <= 5e-7 * std::abs(e) + 1e-30);
            }
            at_level(level, [&] { vec_swiglu(n, z.data() + 1, g.p, u.p); return 0; });
            for (int64_t i = 0; i < n; i++) {
                const double xi = g.p[i], e = xi / (1 + std::exp(-xi)) * u.p[i];
                CHECK(std::abs(z[size_t(i) + 1] - e) <= 6e-7 * std::abs(e) + 1e-30);
            }
        }
    }
}

TEST_CASE("vec: exp over the whole float range", "[simd]") {
    // Relative error against double exp on a dense grid of [-87, 88.7] (normal results), plus the edges.
    const int64_t n = 200003;
    std::vector<float> x(static_cast<size_t>(n)), z(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) x[size_t(i)] = -87.0f + float(i) * (175.7f / float(n - 1));
    for (const auto& level : all_levels()) {
        INFO("level " << level);
        at_level(level, [&] { return vec_exp_sum(n, z.data(), x.data(), 0.0f); });
        double worst = 0;
        for (int64_t i = 0; i < n; i++) {
            const double e = std::exp(double(x[size_t(i)]));
            worst = std::max(worst, std::abs(z[size_t(i)] - e) / e);
        }
        CHECK(worst < 1.5e-7);  // measured 7.7e-8 (AVX2), 6e-8 (libm)
        const float edge[9] = {-std::numeric_limits<float>::infinity(), -1000, -104, -100, 0, 88.7f, 89, 1000,
                               std::numeric_limits<float>::infinity()};
        float ez[9];
        at_level(level, [&] { return vec_exp_sum(9, ez, edge, 0.0f); });
        CHECK(ez[0] == 0);
        CHECK(ez[1] == 0);
        CHECK(ez[2] == 0);
        CHECK(std::abs(ez[3] - std::exp(-100.0)) <= 3e-45);  // subnormal result: within a couple of its ulps
        CHECK(ez[4] == 1);
        CHECK(std::abs(ez[5] - std::exp(double(88.7f))) <= 3e-7 * std::exp(double(88.7f)));
        CHECK(std::isinf(ez[6]));
        CHECK(std::isinf(ez[7]));
        CHECK(std::isinf(ez[8]));
        const float nan = std::numeric_limits<float>::quiet_NaN();
        at_level(level, [&] { return vec_exp_sum(1, ez, &nan, 0.0f); });
        CHECK(std::isnan(ez[0]));
    }
}

TEST_CASE("vec: half-precision conversions are bit-exact", "[simd]") {
    // Every binary16 / bfloat16 pattern, and f32 patterns: random bits, specials, and rounding ties.
    std::vector<uint16_t> all(65536 + 1);
    for (uint32_t i = 0; i < 65536; i++) all[i + 1] = uint16_t(i);
    std::vector<float> f32(1 + 200000);
    std::mt19937 rng(9);
    for (size_t i = 1; i < f32.size(); i++) {
        uint32_t u = rng();
        if (i % 4 == 1) u = (u & 0x80000000u) | (u & 0x0fffe000u) | 0x38000000u | 0x1000u;  // f16 ties near 1
        if (i % 4 == 2) u = (u & 0x8001ffffu) | 0x3f800000u;                                  // bf16 rounding
        if (i % 4 == 3) u = (u & 0x807fffffu) | (uint32_t(101 + rng() % 20) << 23);          // f16 subnormals
        std::memcpy(&f32[i], &u, 4);
    }
    const float specials[] = {0.0f, -0.0f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                              std::numeric_limits<float>::quiet_NaN(), 65504.0f, 65520.0f, 65519.99f, 1e-8f, 6e-8f, 3e-8f,
                              std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max()};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) f32[1 + i * 7] = specials[i];
    uint32_t snan_bits = 0x7f800001u;
    std::memcpy(&f32[3], &snan_bits, 4);
    const int64_t nh = 65536, nf = int64_t(f32.size()) - 1;
    for (const auto& level : all_levels()) {
        INFO("level " << level);
        std::vector<float> out(size_t(nh) + 1);
        at_level(level, [&] { vec_f16_to_f32(nh, out.data() + 1, all.data() + 1); return 0; });
        int bad = 0;
        for (int64_t i = 0; i < nh; i++) bad += bits(out[size_t(i) + 1]) != bits(fp16_to_fp32(uint16_t(i)));
        CHECK(bad == 0);
        at_level(level, [&] { vec_bf16_to_f32(nh, out.data() + 1, all.data() + 1); return 0; });
        bad = 0;
        for (int64_t i = 0; i < nh; i++) bad += bits(out[size_t(i) + 1]) != bits(bf16_to_fp32(uint16_t(i)));
        CHECK(bad == 0);
        std::vector<uint16_t> h(size_t(nf) + 1);
        at_level(level, [&] { vec_f32_to_f16(nf, h.data() + 1, f32.data() + 1); return 0; });
        bad = 0;
        for (int64_t i = 0; i < nf; i++) bad += h[size_t(i) + 1] != fp32_to_fp16(f32[size_t(i) + 1]);
        CHECK(bad == 0);
        at_level(level, [&] { vec_f32_to_bf16(nf, h.data() + 1, f32.data() + 1); return 0; });
        bad = 0;
        for (int64_t i = 0; i < nf; i++) bad += h[size_t(i) + 1] != fp32_to_bf16(f32[size_t(i) + 1]);
        CHECK(bad == 0);
    }
}

// ---- mul_mat ----

namespace {

struct MulMatCase {
    Type type;
    int64_t K, M, N, a2 = 1, a3 = 1, b2 = 1, b3 = 1;
    int b_layout = 0;  // 0: contiguous; 1: b transposed (elements strided); 2: dims 1 and 2 swapped (rows contiguous)
};

// Runs one case at the current level with `threads`, returns the max error relative to sum |a*b|.
double run_mul_mat(const MulMatCase& c, int threads) {
    Context ctx;
    std::mt19937 rng(uint32_t(c.K * 131 + c.M * 17 + c.N + c.b2 * 7 + c.b_layout));
    std::uniform_real_distribution<float> d(-1, 1);
    Tensor* a = ctx.new_tensor(c.type, {c.K, c.M, c.a2, c.a3});
    std::vector<float> af(size_t(a->nelements()));
    for (auto& v : af) v = d(rng);
    std::vector<uint8_t> abuf(a->nbytes() + 64);
    a->data = abuf.data() + 2;  // deliberately not 4-byte aligned for f16: exercise unaligned loads
    if (c.type == Type::F32) a->data = abuf.data() + 4;
    if (c.type == Type::F32) std::memcpy(a->data, af.data(), af.size() * 4);
    else type_traits(c.type).from_float(af.data(), a->data, int64_t(af.size()));
    if (c.type != Type::F32) type_traits(c.type).to_float(a->data, af.data(), int64_t(af.size()));

    // b's logical shape [K, N, b2, b3]; storage depends on the layout.
    const int64_t nb_el = c.K * c.N * c.b2 * c.b3;
    std::vector<float> bstore(size_t(nb_el) + 1);
    for (auto& v : bstore) v = d(rng);
    Tensor* b = ctx.new_tensor(Type::F32, {c.K, c.N, c.b2, c.b3});
    b->data = bstore.data() + 1;
    if (c.b_layout == 1) {  // stored as [N, K, b2, b3]: element k of row n at n + k*N
        b->nb[0] = size_t(c.N) * 4;
        b->nb[1] = 4;
        b->nb[2] = size_t(c.N * c.K) * 4;
        b->nb[3] = b->nb[2] * size_t(c.b2);
    } else if (c.b_layout == 2) {  // stored as [K, b2, N, b3]
        b->nb[0] = 4;
        b->nb[2] = size_t(c.K) * 4;
        b->nb[1] = size_t(c.K * c.b2) * 4;
        b->nb[3] = b->nb[1] * size_t(c.N);
    }
    auto bval = [&](int64_t k, int64_t n, int64_t i2, int64_t i3) {
        return *reinterpret_cast<const float*>(static_cast<const char*>(b->data) + size_t(k) * b->nb[0] +
                                               size_t(n) * b->nb[1] + size_t(i2) * b->nb[2] + size_t(i3) * b->nb[3]);
    };

    Tensor* dst = ctx.new_tensor(Type::F32, {c.M, c.N, c.b2, c.b3});
    std::vector<float> dbuf(size_t(dst->nelements()), std::numeric_limits<float>::quiet_NaN());
    dst->data = dbuf.data();
    dst->op = Op::MulMat;
    dst->src[0] = a;
    dst->src[1] = b;
    op_mul_mat(dst, {threads});

    double worst = 0;
    for (int64_t i3 = 0; i3 < c.b3; i3++)
        for (int64_t i2 = 0; i2 < c.b2; i2++) {
            const int64_t j2 = i2 / (c.b2 / c.a2), j3 = i3 / (c.b3 / c.a3);
            for (int64_t n = 0; n < c.N; n++)
                for (int64_t m = 0; m < c.M; m++) {
                    double s = 0, sa = 0;
                    const float* ar = af.data() + ((j3 * c.a2 + j2) * c.M + m) * c.K;
                    for (int64_t k = 0; k < c.K; k++) {
                        const double p = double(ar[k]) * double(bval(k, n, i2, i3));
                        s += p;
                        sa += std::abs(p);
                    }
                    const double got = dbuf[size_t(((i3 * c.b2 + i2) * c.N + n) * c.M + m)];
                    const double err = std::isfinite(got) ? std::abs(got - s) / (sa + 1e-30) : 1e30;
                    worst = std::max(worst, err);
                }
        }
    return worst;
}

}  // namespace

TEST_CASE("mul_mat: all types, odd sizes, broadcasting, strided b, every level and 1-2 threads", "[simd][mul_mat]") {
    std::vector<MulMatCase> cases;
    for (Type t : {Type::F32, Type::F16, Type::BF16}) {
        const int64_t sizes[][3] = {{1, 1, 1}, {7, 7, 7}, {33, 1, 67}, {67, 33, 130}, {130, 67, 33},
                                    {300, 130, 9}, {64, 7, 3}, {33, 250, 17}, {5, 16, 8}};
        for (auto& s : sizes) cases.push_back({t, s[0], s[1], s[2]});
        // grouped-query broadcast: a2=2, b2=6; a3=1, b3=2; with gemm-sized and dot-sized N
        cases.push_back({t, 33, 19, 11, 2, 1, 6, 2});
        cases.push_back({t, 64, 40, 1, 2, 1, 6, 2});
        // non-contiguous b: transposed (strided elements) and permuted (rows contiguous, dims swapped)
        for (int layout : {1, 2}) {
            cases.push_back({t, 37, 29, 13, 2, 1, 4, 1, layout});
            cases.push_back({t, 37, 29, 1, 2, 1, 4, 1, layout});
            cases.push_back({t, 260, 45, 21, 1, 1, 2, 1, layout});
        }
    }
    for (const auto& level : all_levels()) {
        for (int threads : {1, 2}) {
            for (const auto& c : cases) {
                INFO("level " << level << " threads " << threads << " type " << type_name(c.type) << " K=" << c.K
                              << " M=" << c.M << " N=" << c.N << " a2=" << c.a2 << " b2=" << c.b2 << " b3=" << c.b3
                              << " layout " << c.b_layout);
                const double err = at_level(level, [&] { return run_mul_mat(c, threads); });
                CHECK(err < 2e-6);
            }
        }
    }
}

TEST_CASE("mul_mat: larger than one cache block in every dimension", "[simd][mul_mat]") {
    // M > the 128-row a block, N > the 240-column b block, K > the 256-deep k block.
    for (const auto& level : simd_levels()) {
        for (Type t : {Type::F32, Type::F16}) {
            INFO("level " << level << " type " << type_name(t));
            const MulMatCase c{t, 520, 263, 251};
            CHECK(at_level(level, [&] { return run_mul_mat(c, 2); }) < 2e-6);
        }
    }
}

// The lines a kernel asks for on the way: every line of every row once, in order (rows off a line boundary,
// a last partial line), all of them after the counted steps, and none from an empty PrefetchRows.
TEST_CASE("vec: the line prefetcher walks every line of its rows", "[simd]") {
    std::vector<char> buf(4096);
    const char* base = buf.data() + 3;
    for (size_t bytes : {size_t(1), size_t(64), size_t(100), size_t(512)})
        for (int64_t steps : {int64_t(0), int64_t(1), int64_t(3), int64_t(7), int64_t(1000)}) {
            INFO("bytes " << bytes << " steps " << steps);
            const PrefetchRows rows{base, 520, bytes, 5};
            std::vector<const char*> want;
            for (int64_t r = 0; r < 5; r++)
                for (size_t o = 0; o < bytes; o += 64) want.push_back(base + size_t(r) * 520 + o);
            LinePrefetcher all(rows, steps);
            CHECK(all.left() == int64_t(want.size()));
            std::vector<const char*> got;
            all.walk(1 << 20, [&](const char* p) { got.push_back(p); });
            CHECK(got == want);
            CHECK(all.left() == 0);
            LinePrefetcher spread(rows, steps);
            for (int64_t i = 0; i < std::max<int64_t>(steps, 1); i++) spread.step();
            CHECK(spread.left() == 0);
        }
    LinePrefetcher none(PrefetchRows{}, 4);
    CHECK(none.left() == 0);
    none.rest();
}

