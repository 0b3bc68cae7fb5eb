// Quantized dot products and the quantized mul_mat: every SIMD level against the scalar references
// (random blocks, all bit patterns, zero scales, extreme codes, several lengths), the activation
// quantizers bit for bit, and mul_mat against F32 over the dequantized weights and against the scalar dots.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/features.h"
#include "backends/cpu/ops/ops.h"
#include "backends/cpu/quant_dot.h"
#include "backends/cpu/repack.h"
#include "backends/simd_levels.h"
#include "ggml/quants.h"
#include "ggml/tensor.h"
#include "ggml/type.h"

using namespace ggml;
using namespace ggml::cpu;

namespace {

const Type kWeightTypes[] = {Type::Q4_0, Type::Q4_1, Type::Q5_0, Type::Q5_1, Type::Q8_0,
                             Type::Q2_K, Type::Q3_K, Type::Q4_K, Type::Q5_K, Type::Q6_K};

QDotFn ref_dot(Type t) { return quant_dot_table_scalar().dot[int(t)]; }

void ref_quantize_act(Type at, const float* x, void* y, int64_t n) {
    if (at == Type::Q8_0) quantize_act_q8_0_ref(x, y, n);
    else if (at == Type::Q8_1) quantize_act_q8_1_ref(x, y, n);
    else quantize_act_q8_K_ref(x, y, n);
}

// Byte ranges [offset, offset + size) of a block that hold codes (everything else is scales).
struct Range {
    size_t off, len;
};
std::vector<Range> code_ranges(Type t) {
    switch (t) {
        case Type::Q4_0: return {{offsetof(block_q4_0, qs), 16}};
        case Type::Q4_1: return {{offsetof(block_q4_1, qs), 16}};
        case Type::Q5_0: return {{offsetof(block_q5_0, qh), 4}, {offsetof(block_q5_0, qs), 16}};
        case Type::Q5_1: return {{offsetof(block_q5_1, qh), 4}, {offsetof(block_q5_1, qs), 16}};
        case Type::Q8_0: return {{offsetof(block_q8_0, qs), 32}};
        case Type::Q2_K: return {{offsetof(block_q2_K, qs), 64}};
        case Type::Q3_K: return {{offsetof(block_q3_K, hmask), 32}, {offsetof(block_q3_K, qs), 64}};
        case Type::Q4_K: return {{offsetof(block_q4_K, qs), 128}};
        case Type::Q5_K: return {{offsetof(block_q5_K, qh), 32}, {offsetof(block_q5_K, qs), 128}};
        default: return {{offsetof(block_q6_K, ql), 128}, {offsetof(block_q6_K, qh), 64}};
    }
}
// Offsets of the f16 scale fields.
std::vector<size_t> half_fields(Type t) {
    switch (t) {
        case Type::Q4_0: return {offsetof(block_q4_0, d)};
        case Type::Q4_1: return {offsetof(block_q4_1, d), offsetof(block_q4_1, m)};
        case Type::Q5_0: return {offsetof(block_q5_0, d)};
        case Type::Q5_1: return {offsetof(block_q5_1, d), offsetof(block_q5_1, m)};
        case Type::Q8_0: return {offsetof(block_q8_0, d)};
        case Type::Q2_K: return {offsetof(block_q2_K, d), offsetof(block_q2_K, dmin)};
        case Type::Q3_K: return {offsetof(block_q3_K, d)};
        case Type::Q4_K: return {offsetof(block_q4_K, d), offsetof(block_q4_K, dmin)};
        case Type::Q5_K: return {offsetof(block_q5_K, d), offsetof(block_q5_K, dmin)};
        default: return {offsetof(block_q6_K, d)};
    }
}

void put_half(uint8_t* p, float v) {
    const uint16_t h = fp32_to_fp16(v);
    std::memcpy(p, &h, 2);
}

// Weight blocks. mode 0: random bytes with random scales; 1: zero scales; 2: every code byte 0xFF;
// 3: every code byte 0x00; 4: Q8_0-style extremes (0x80 / 0x81 / 0x7F mixed).
std::vector<uint8_t> make_weights(Type t, int64_t nblocks, int mode, std::mt19937& rng) {
    const size_t bb = type_traits(t).block_bytes;
    std::vector<uint8_t> w(bb * size_t(nblocks));
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> scale(-1.5f, 1.5f);
    for (auto& v : w) v = uint8_t(byte(rng));
    for (int64_t b = 0; b < nblocks; b++) {
        uint8_t* blk = w.data() + size_t(b) * bb;
        for (const Range& r : code_ranges(t)) {
            if (mode == 2) std::memset(blk + r.off, 0xFF, r.len);
            if (mode == 3) std::memset(blk + r.off, 0x00, r.len);
            if (mode == 4)
                for (size_t i = 0; i < r.len; i++) blk[r.off + i] = uint8_t(i % 3 == 0 ? 0x80 : i % 3 == 1 ? 0x81 : 0x7F);
        }
        for (size_t off : half_fields(t)) put_half(blk + off, mode == 1 ? 0.0f : scale(rng));
    }
    return w;
}

// Activation blocks of format at. mode 0: random codes; 1: zero scale; 2: all +127; 3: alternating +-127.
std::vector<uint8_t> make_acts(Type at, int64_t n, int mode, std::mt19937& rng) {
    const int64_t bs = type_traits(at).block_size;
    const size_t bb = type_traits(at).block_bytes;
    std::vector<uint8_t> a(bb * size_t(n / bs));
    std::uniform_int_distribution<int> code(-127, 127);
    std::uniform_real_distribution<float> scale(0.0f, 0.05f);
    auto fill = [&](int8_t* q, int count) {
        for (int i = 0; i < count; i++)
            q[i] = int8_t(mode == 2 ? 127 : mode == 3 ? (i % 2 ? -127 : 127) : code(rng));
    };
    for (int64_t b = 0; b < n / bs; b++) {
        uint8_t* blk = a.data() + size_t(b) * bb;
        const float d = mode == 1 ? 0.0f : scale(rng);
        if (at == Type::Q8_K) {
            block_q8_K& y = *reinterpret_cast<block_q8_K*>(blk);
            y.d = d;
            fill(y.qs, QK_K);
            for (int g = 0; g < 16; g++) {
                int s = 0;
                for (int i = 0; i < 16; i++) s += y.qs[g * 16 + i];
                y.bsums[g] = int16_t(s);
            }
        } else if (at == Type::Q8_1) {
            block_q8_1& y = *reinterpret_cast<block_q8_1*>(blk);
            fill(y.qs, 32);
            int s = 0;
            for (int i = 0; i < 32; i++) s += y.qs[i];
            y.d = fp32_to_fp16(d);
            y.s = fp32_to_fp16(fp16_to_fp32(y.d) * float(s));
        } else {
            block_q8_0& y = *reinterpret_cast<block_q8_0*>(blk);
            fill(y.qs, 32);
            y.d = fp32_to_fp16(d);
        }
    }
    return a;
}

// sum_i |w_i a_i| + |wmin_i a_i| (wmin: the block's value with every code zero, i.e. its min / offset
// term): the magnitude against which float reordering errors are measured.
double magnitude(Type t, const std::vector<uint8_t>& w, Type at, const std::vector<uint8_t>& a, int64_t n) {
    const size_t count = static_cast<size_t>(n);
    std::vector<float> wf(count), wm(count), af(count);
    type_traits(t).to_float(w.data(), wf.data(), n);
    std::vector<uint8_t> z = w;
    const size_t bb = type_traits(t).block_bytes;
    for (size_t b = 0; b < z.size() / bb; b++)
        for (const Range& r : code_ranges(t)) std::memset(z.data() + b * bb + r.off, 0, r.len);
    type_traits(t).to_float(z.data(), wm.data(), n);
    type_traits(at).to_float(a.data(), af.data(), n);
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (std::fabs(double(wf[i])) + std::fabs(double(wm[i]))) * std::fabs(double(af[i]));
    if (at == Type::Q8_1) {  // the m * s terms
        const block_q8_1* y = reinterpret_cast<const block_q8_1*>(a.data());
        for (int64_t b = 0; b < n / 32; b++) {
            uint16_t m;
            std::memcpy(&m, w.data() + size_t(b) * bb + 2, 2);
            s += std::fabs(double(fp16_to_fp32(m)) * double(fp16_to_fp32(y[b].s)));
        }
    }
    return s;
}

}  // namespace

TEST_CASE("quant dot: every SIMD level equals the scalar reference", "[quant_dot]") {
    std::mt19937 rng(1234);
    for (Type t : kWeightTypes) {
        const Type at = quant_act_type(t);
        const int64_t bs = type_traits(t).block_size;
        for (int64_t nblocks : {1, 2, 3, 7, 33}) {
            const int64_t n = nblocks * bs;
            for (int wmode = 0; wmode < 5; wmode++) {
                for (int amode = 0; amode < 4; amode++) {
                    if (wmode > 0 && amode > 0 && (wmode + amode) % 2) continue;  // keep the count sane
                    const auto w = make_weights(t, nblocks, wmode, rng);
                    const auto a = make_acts(at, n, amode, rng);
                    const float want = ref_dot(t)(n, w.data(), a.data());
                    const double tol = 1e-6 * magnitude(t, w, at, a, n) + 1e-30;
                    for (const std::string& level : all_levels()) {
                        const float got = at_level(level, [&] { return quant_dot_fn(t)(n, w.data(), a.data()); });
                        INFO(type_name(t) << " level " << level << " blocks " << nblocks << " wmode " << wmode
                                          << " amode " << amode << " want " << want << " got " << got);
                        CHECK(std::fabs(double(got) - double(want)) <= tol);
                    }
                }
            }
        }
    }
}

TEST_CASE("quant dot: the Q4_0 / Q5_0 decode dots with activation aux equal the reference", "[quant_dot]") {
    std::mt19937 rng(99);
    for (Type t : {Type::Q4_0, Type::Q5_0}) {
        for (int64_t nblocks : {1, 2, 3, 7, 33}) {
            const int64_t n = nblocks * 32;
            for (int mode = 0; mode < 4; mode++) {
                const auto w = make_weights(t, nblocks, mode == 3 ? 2 : mode, rng);
                const auto a = make_acts(Type::Q8_0, n, mode, rng);
                std::vector<QActAux> aux(static_cast<size_t>(nblocks));
                make_act_aux(a.data(), n, aux.data());
                const float want = ref_dot(t)(n, w.data(), a.data());
                const double tol = 1e-6 * magnitude(t, w, Type::Q8_0, a, n) + 1e-30;
                for (const std::string& level : all_levels()) {
                    const float got = at_level(level, [&] {
                        const QuantDotTable& tab = quant_dot_table();
                        return (t == Type::Q4_0 ? tab.dot_aux_q4_0 : tab.dot_aux_q5_0)(n, w.data(), a.data(), aux.data());
                    });
                    INFO(type_name(t) << " level " << level << " blocks " << nblocks << " mode " << mode);
                    CHECK(std::fabs(double(got) - double(want)) <= tol);
                }
            }
        }
    }
}

TEST_CASE("quant dot: activation quantizers are bit-identical at every level", "[quant_dot]") {
    std::mt19937 rng(77);
    std::uniform_real_distribution<float> d(-3.0f, 3.0f);
    const int64_t n = 4 * QK_K;
    std::vector<float> x(static_cast<size_t>(n));
    for (auto& v : x) v = d(rng);
    for (int i = 0; i < 32; i++) x[size_t(i)] = 0.0f;                  // an all-zero block
    for (int i = 32; i < 64; i++) x[size_t(i)] = float(i - 48) * 1e-3f;  // small values
    x[100] = 1e4f, x[101] = -1e4f;                                       // large outliers
    for (Type at : {Type::Q8_0, Type::Q8_1, Type::Q8_K}) {
        const size_t bytes = quant_row_size(at, n);
        std::vector<uint8_t> want(bytes), got(bytes);
        ref_quantize_act(at, x.data(), want.data(), n);
        for (const std::string& level : all_levels()) {
            at_level(level, [&] {
                quantize_act(at, x.data(), got.data(), n);
                return 0;
            });
            INFO(type_name(at) << " level " << level);
            CHECK(std::memcmp(want.data(), got.data(), bytes) == 0);
        }
        // and the codes are what they claim to be: |x - d q| <= d / 2 (+ the f16 rounding of d)
        std::vector<float> back(static_cast<size_t>(n));
        type_traits(at).to_float(want.data(), back.data(), n);
        for (int64_t i = 0; i < n; i++) {
            const int64_t bs = type_traits(at).block_size;
            float amax = 0;
            for (int64_t j = i / bs * bs; j < (i / bs + 1) * bs; j++) amax = std::max(amax, std::fabs(x[size_t(j)]));
            CHECK(std::fabs(back[size_t(i)] - x[size_t(i)]) <= 0.6f * amax / 127.0f + 1e-30f);
        }
    }
}

// ---- mul_mat with quantized weights ----
namespace {

struct QCase {
    Type type;
    int64_t K, M, N, a2 = 1, b2 = 1, b3 = 1;
    bool strided_b = false;  // b stored transposed: element k of row n at n + k*N
};

struct QResult {
    double rel_norm_f32 = 0;  // ||got - f32 ref|| / ||f32 ref||
    double worst_bound = 0;   // max |got - f32 ref| / (rigorous activation-rounding bound)
    double worst_ref = 0;     // max |got - scalar dot| / magnitude
};

QResult run_q(const QCase& c, int threads) {
    Context ctx;
    std::mt19937 rng(uint32_t(c.K * 7 + c.M * 3 + c.N + int(c.type)));
    std::uniform_real_distribution<float> d(-1, 1);
    Tensor* a = ctx.new_tensor(c.type, {c.K, c.M, c.a2, 1});
    std::vector<float> af(size_t(a->nelements()));
    for (auto& v : af) v = d(rng);
    std::vector<uint8_t> abuf(a->nbytes());
    a->data = abuf.data();
    type_traits(c.type).from_float(af.data(), a->data, int64_t(af.size()));
    type_traits(c.type).to_float(a->data, af.data(), int64_t(af.size()));

    Tensor* b = ctx.new_tensor(Type::F32, {c.K, c.N, c.b2, c.b3});
    std::vector<float> bstore(size_t(c.K * c.N * c.b2 * c.b3) + 1);
    for (auto& v : bstore) v = d(rng);
    for (size_t i = 0; i < bstore.size(); i += 331) bstore[i] *= 4.0f;  // a few outliers
    b->data = bstore.data() + 1;
    if (c.strided_b) {
        b->nb[0] = size_t(c.N) * 4;
        b->nb[1] = 4;
        b->nb[2] = size_t(c.N * c.K) * 4;
        b->nb[3] = b->nb[2] * size_t(c.b2);
    }
    Tensor* dst = ctx.new_tensor(Type::F32, {c.M, c.N, c.b2, c.b3});
    std::vector<float> dbuf(size_t(dst->nelements()), std::numeric_limits<float>::quiet_NaN());
    dst->data = dbuf.data();
    dst->op = Op::MulMat;
    dst->src[0] = a;
    dst->src[1] = b;
    op_mul_mat(dst, {threads});

    const Type at = quant_act_type(c.type);
    const size_t arow = quant_row_size(at, c.K), wrow = quant_row_size(c.type, c.K);
    std::vector<float> brow(size_t(c.K)), bq(size_t(c.K));
    std::vector<uint8_t> act(arow);
    QResult r;
    double num = 0, den = 0;
    for (int64_t i3 = 0; i3 < c.b3; i3++)
        for (int64_t i2 = 0; i2 < c.b2; i2++) {
            const int64_t j2 = i2 / (c.b2 / c.a2);
            for (int64_t n = 0; n < c.N; n++) {
                for (int64_t k = 0; k < c.K; k++)
                    brow[size_t(k)] = *reinterpret_cast<const float*>(static_cast<const char*>(b->data) +
                                                                      size_t(k) * b->nb[0] + size_t(n) * b->nb[1] +
                                                                      size_t(i2) * b->nb[2] + size_t(i3) * b->nb[3]);
                ref_quantize_act(at, brow.data(), act.data(), c.K);
                type_traits(at).to_float(act.data(), bq.data(), c.K);
                const int64_t bs = type_traits(at).block_size;
                for (int64_t m = 0; m < c.M; m++) {
                    const float* ar = af.data() + (j2 * c.M + m) * c.K;
                    double s = 0, bound = 0, mag = 0;
                    for (int64_t k = 0; k < c.K; k++) {
                        s += double(ar[k]) * double(brow[size_t(k)]);
                        mag += std::fabs(double(ar[k]) * double(bq[size_t(k)]));
                    }
                    for (int64_t k0 = 0; k0 < c.K; k0 += bs) {
                        double amax = 0, wsum = 0;
                        for (int64_t k = k0; k < k0 + bs; k++) {
                            amax = std::max(amax, std::fabs(double(brow[size_t(k)])));
                            wsum += std::fabs(double(ar[k]));
                        }
                        bound += 0.6 * amax / 127.0 * wsum;  // |x - d q| <= d/2 plus the f16 rounding of d
                    }
                    const char* wr = static_cast<const char*>(a->data) + size_t(j2 * c.M + m) * wrow;
                    const double ref = ref_dot(c.type)(c.K, wr, act.data());
                    const double got = dbuf[size_t(((i3 * c.b2 + i2) * c.N + n) * c.M + m)];
                    if (!std::isfinite(got)) {
                        r.worst_bound = r.worst_ref = r.rel_norm_f32 = 1e30;
                        return r;
                    }
                    num += (got - s) * (got - s);
                    den += s * s;
                    r.worst_bound = std::max(r.worst_bound, std::fabs(got - s) / (bound + 1e-6 * mag + 1e-30));
                    r.worst_ref = std::max(r.worst_ref, std::fabs(got - ref) / (mag + 1e-30));
                }
            }
        }
    r.rel_norm_f32 = std::sqrt(num / (den + 1e-300));
    return r;
}

}  // namespace

TEST_CASE("quant mul_mat: against f32 over dequantized weights and against the scalar dots", "[quant_dot][mul_mat]") {
    std::vector<QCase> cases;
    for (Type t : kWeightTypes) {
        const bool kq = type_traits(t).block_size == QK_K;
        const int64_t K2 = kq ? 2 * QK_K : 2 * 32 * 5, K3 = kq ? 3 * QK_K : 3 * 32 * 7;
        cases.push_back({t, K2, 33, 1});
        cases.push_back({t, K3, 33, 3});
        cases.push_back({t, K2, 33, 67});
        cases.push_back({t, K3, 40, 9, 2, 4, 1});            // broadcast a over dim 2
        cases.push_back({t, K2, 17, 3, 1, 2, 1, true});      // strided b, decode
        cases.push_back({t, K3, 24, 13, 1, 1, 2, true});     // strided b, prefill, dim 3
    }
    for (const QCase& c : cases) {
        for (const std::string& level : all_levels()) {
            for (int threads : {1, 2}) {
                const QResult r = at_level(level, [&] { return run_q(c, threads); });
                INFO(type_name(c.type) << " K=" << c.K << " M=" << c.M << " N=" << c.N << " a2=" << c.a2 << " b2=" << c.b2
                                       << " b3=" << c.b3 << " strided=" << c.strided_b << " level " << level
                                       << " threads " << threads << ": rel_norm " << r.rel_norm_f32 << " bound "
                                       << r.worst_bound << " ref " << r.worst_ref);
                CHECK(r.rel_norm_f32 <= 1.5e-2);  // 8-bit activations: 0.3-1% seen (Q2_K, N=1 at 1.05%)
                CHECK(r.worst_bound <= 1.0);    // never beyond the rounding bound of the activations
                CHECK(r.worst_ref <= 1e-5);     // same quantized activations: only float order differs
            }
        }
    }
}

TEST_CASE("quant mul_mat: many k blocks and row blocks (prefill tiling)", "[quant_dot][mul_mat]") {
    for (Type t : {Type::Q4_0, Type::Q5_0, Type::Q8_0, Type::Q4_K, Type::Q6_K}) {
        const QCase c{t, 1280 + (type_traits(t).block_size == QK_K ? 256 : 0), 200, 140};
        for (const std::string& level : all_levels()) {
            const QResult r = at_level(level, [&] { return run_q(c, 2); });
            INFO(type_name(t) << " level " << level << ": rel_norm " << r.rel_norm_f32 << " ref " << r.worst_ref);
            CHECK(r.rel_norm_f32 <= 1e-2);
            CHECK(r.worst_bound <= 1.0);
            CHECK(r.worst_ref <= 1e-5);
        }
    }
}

// ---- interleaved (repacked) weights ---------------------------------------------------------------

TEST_CASE("repack: interleaved groups give back the plain rows byte for byte", "[quant_dot][repack]") {
    std::mt19937 rng(7);
    for (Type t : {Type::Q4_0, Type::Q5_0, Type::Q8_0, Type::Q4_K, Type::Q6_K}) {
        const int64_t bs = type_traits(t).block_size, nb = 5, M = 24, K = nb * bs;
        for (int mode = 0; mode < 5; mode++) {
            const auto w = make_weights(t, nb * M, mode, rng);
            std::vector<uint8_t> packed(repacked_row_bytes(t, K) * size_t(M)), back(w.size());
            repack_rows(t, w.data(), packed.data(), K, M, 2);
            const size_t group = repacked_row_bytes(t, K) * kRepackRows, plain = row_size(t, K) * kRepackRows;
            for (int64_t g = 0; g < M / kRepackRows; g++)
                unrepack_group(t, packed.data() + size_t(g) * group, back.data() + size_t(g) * plain, K);
            INFO(type_name(t) << " mode " << mode);
            CHECK(std::memcmp(back.data(), w.data(), w.size()) == 0);
        }
    }
}

TEST_CASE("repack: interleaved dots equal the reference at every level that has them", "[quant_dot][repack]") {
    std::mt19937 rng(8);
    for (Type t : {Type::Q4_0, Type::Q5_0, Type::Q8_0, Type::Q4_K, Type::Q6_K}) {
        const Type at = quant_act_type(t);
        const int64_t bs = type_traits(t).block_size;
        for (int64_t nb : {1, 3, 8}) {
            const int64_t K = nb * bs;
            for (int mode = 0; mode < 4; mode++) {
                const auto w = make_weights(t, nb * kRepackRows, mode == 3 ? 2 : mode, rng);
                const auto a = make_acts(at, K, mode, rng);
                std::vector<uint8_t> packed(repacked_row_bytes(t, K) * kRepackRows);
                repack_rows(t, w.data(), packed.data(), K, kRepackRows, 1);
                std::vector<QActAux> aux(size_t(K / 32));
                if (at == Type::Q8_0) make_act_aux(a.data(), K, aux.data());
                float want[kRepackRows];
                vec_dot_r8_ref(t, K, packed.data(), a.data(), want);
                for (const std::string& level : simd_levels()) {
                    float got[kRepackRows];
                    const bool has = at_level(level, [&] {
                        const QDotR8Fn f = quant_dot_table().dot_r8[int(t)];
                        if (f) f(K, packed.data(), a.data(), aux.data(), got);
                        return f != nullptr;
                    });
                    if (!has) continue;
                    for (int r = 0; r < kRepackRows; r++) {
                        const std::vector<uint8_t> row(w.begin() + long(r * nb) * long(type_traits(t).block_bytes),
                                                       w.begin() + long((r + 1) * nb) * long(type_traits(t).block_bytes));
                        const float plain = ref_dot(t)(K, row.data(), a.data());
                        INFO(type_name(t) << " level " << level << " blocks " << nb << " mode " << mode << " row " << r);
                        CHECK(want[r] == plain);
                        CHECK(std::fabs(double(got[r]) - double(want[r])) <= 1e-6 * magnitude(t, row, at, a, K) + 1e-30);
                    }
                }
            }
        }
    }
}

TEST_CASE("repack: multi-column interleaved dots equal the one-column kernel bit for bit", "[quant_dot][repack]") {
    // dot_r8_cols on column panels of 1..9 activation rows (mixed value modes among the columns, odd block counts
    // where the type allows them) against dot_r8 on each row alone: identical floats, and the plain reference within
    // the bound of the one-column test.
    std::mt19937 rng(11);
    for (Type t : {Type::Q4_0, Type::Q5_0, Type::Q8_0, Type::Q4_K, Type::Q6_K}) {
        const Type at = quant_act_type(t);
        const int64_t bs = type_traits(t).block_size;
        for (int64_t nb : {1, 3, 8}) {
            const int64_t K = nb * bs, nbq = K / 32;
            const size_t arow = quant_row_size(at, K);
            for (int wmode = 0; wmode < 3; wmode++) {
                const auto w = make_weights(t, nb * kRepackRows, wmode, rng);
                std::vector<uint8_t> packed(repacked_row_bytes(t, K) * kRepackRows);
                repack_rows(t, w.data(), packed.data(), K, kRepackRows, 1);
                for (int ncols = 1; ncols <= 9; ncols++) {
                    // activation rows back to back (as mul_mat quantizes them), each with its own mode
                    std::vector<uint8_t> acts(arow * size_t(ncols));
                    std::vector<QActAux> aux(size_t(nbq * ncols));
                    for (int c = 0; c < ncols; c++) {
                        const auto a = make_acts(at, K, (c + wmode) % 5 == 4 ? 0 : (c + wmode) % 5, rng);
                        std::memcpy(acts.data() + arow * size_t(c), a.data(), arow);
                        if (at == Type::Q8_0) make_act_aux(a.data(), K, aux.data() + c * nbq);
                    }
                    const QActAux* auxp = at == Type::Q8_0 ? aux.data() : nullptr;
                    for (const std::string& level : simd_levels()) {
                        const int64_t os = kRepackRows + 3;  // out rows apart, as in a wider output matrix
                        std::vector<float> got(size_t(os * ncols), -1.0f), one(size_t(kRepackRows * ncols), -2.0f);
                        const bool has = at_level(level, [&] {
                            const QDotR8ColsFn f = quant_dot_table().dot_r8_cols[int(t)];
                            const QDotR8Fn f1 = quant_dot_table().dot_r8[int(t)];
                            const int width = quant_dot_table().r8_cols;
                            if (!f) return false;
                            REQUIRE(width >= 1);
                            // panels of up to `width` columns (9 columns: every panel width, a full one and a rest)
                            for (int c0 = 0; c0 < ncols; c0 += width) {
                                const int nc = std::min(width, ncols - c0);
                                std::vector<uint8_t> panel(r8_act_panel_bytes(at, K, nc) + 1);
                                panel.back() = 0x5A;
                                pack_r8_act_panel(at, K, acts.data() + arow * size_t(c0), arow, nc, panel.data());
                                CHECK(panel.back() == 0x5A);  // the panel's size as r8_act_panel_bytes says
                                f(K, packed.data(), panel.data(), nc, got.data() + c0 * os, os);
                            }
                            for (int c = 0; c < ncols; c++)
                                f1(K, packed.data(), acts.data() + arow * size_t(c), auxp ? auxp + c * nbq : nullptr,
                                   one.data() + c * kRepackRows);
                            return true;
                        });
                        if (!has) continue;
                        for (int c = 0; c < ncols; c++) {
                            const std::vector<uint8_t> a(acts.begin() + long(arow * size_t(c)), acts.begin() + long(arow * size_t(c + 1)));
                            float want[kRepackRows];
                            vec_dot_r8_ref(t, K, packed.data(), a.data(), want);
                            for (int r = 0; r < kRepackRows; r++) {
                                const std::vector<uint8_t> row(w.begin() + long(r * nb) * long(type_traits(t).block_bytes),
                                                               w.begin() + long((r + 1) * nb) * long(type_traits(t).block_bytes));
                                INFO(type_name(t) << " level " << level << " blocks " << nb << " wmode " << wmode << " ncols "
                                                  << ncols << " col " << c << " row " << r);
                                CHECK(got[size_t(c * os + r)] == one[size_t(c * kRepackRows + r)]);
                                CHECK(std::fabs(double(got[size_t(c * os + r)]) - double(want[r])) <=
                                      1e-6 * magnitude(t, row, at, a, K) + 1e-30);
                            }
                            for (int64_t r = kRepackRows; r < os; r++) CHECK(got[size_t(c * os + r)] == -1.0f);  // untouched
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE("repack: mul_mat on interleaved weights equals mul_mat on the plain rows", "[quant_dot][repack][mul_mat]") {
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> u(-1, 1);
    for (Type t : {Type::Q4_0, Type::Q5_0, Type::Q8_0, Type::Q4_K, Type::Q6_K}) {
        const int64_t K = type_traits(t).block_size == QK_K ? 3 * QK_K : 11 * 32, M = 48;
        if (!repack_supported(t, K, M)) continue;  // no interleaved kernel at this machine's level
        Context ctx;
        std::vector<float> wf(size_t(K * M));
        for (auto& v : wf) v = u(rng);
        Tensor* plain = ctx.new_tensor(t, {K, M});
        Tensor* packed = ctx.new_tensor(t, {K, M});
        std::vector<uint8_t> pbuf(plain->nbytes());
        plain->data = pbuf.data();
        quantize_rows(t, wf.data(), pbuf.data(), M, K, 0);
        packed->data = pbuf.data();
        auto cpu = make_cpu_backend(2);
        const std::unique_ptr<Buffer> rbuf = cpu->prepare_product_weights({packed});
        REQUIRE(rbuf);
        REQUIRE(is_repacked(packed));
        REQUIRE(!is_repacked(plain));
        REQUIRE(packed->data == rbuf->base());
        for (int64_t N : {1, 2, 3, 5, 9, 16, 40}) {
            Tensor* b = ctx.new_tensor(Type::F32, {K, N});
            std::vector<float> bf(size_t(K * N));
            for (auto& v : bf) v = u(rng);
            b->data = bf.data();
            std::vector<float> want(size_t(M * N)), got(size_t(M * N));
            for (auto [w, out] : {std::pair{plain, &want}, std::pair{packed, &got}}) {
                Tensor* d = ctx.new_tensor(Type::F32, {M, N});
                d->data = out->data();
                d->op = Op::MulMat, d->src[0] = w, d->src[1] = b;
                op_mul_mat(d, {2});
            }
            double worst = 0, scale = 0;
            for (size_t i = 0; i < want.size(); i++)
                worst = std::max(worst, double(std::fabs(got[i] - want[i]))), scale = std::max(scale, double(std::fabs(want[i])));
            INFO(type_name(t) << " N=" << N << " worst " << worst << " of " << scale);
            CHECK(worst <= 1e-5 * scale);  // same quantized activations: only the float order differs
            if (N < kQGemmMinN) {
                // decode: each column bit for bit what the product of that activation row alone gives (a
                // sequence's logits do not depend on the others decoded with it)
                for (int64_t n = 0; n < N; n++) {
                    Tensor* b1 = ctx.new_tensor(Type::F32, {K, 1});
                    b1->data = bf.data() + n * K;
                    std::vector<float> one(static_cast<size_t>(M));
                    Tensor* d = ctx.new_tensor(Type::F32, {M, 1});
                    d->data = one.data();
                    d->op = Op::MulMat, d->src[0] = packed, d->src[1] = b1;
                    op_mul_mat(d, {2});
                    INFO("column " << n);
                    CHECK(std::memcmp(one.data(), got.data() + n * M, size_t(M) * sizeof(float)) == 0);
                }
            }
        }
    }
}

TEST_CASE("mul_mat siblings: products of the same activations in one pass equal separate products", "[quant_dot][mul_mat]") {
    // Five weight types (all three activation types: Q8_0, Q8_K and Q4_1's Q8_1), interleaved and plain rows,
    // an f16 weight (the float route) among them; decode sizes (one pass) and a prefill size (one product at
    // a time).
    std::mt19937 rng(10);
    std::uniform_real_distribution<float> u(-1, 1);
    const int64_t K = 2 * QK_K;
    struct W {
        Type t;
        int64_t M;
        bool repack;
    };
    const W ws[] = {{Type::Q4_0, 40, true}, {Type::Q4_K, 16, true}, {Type::F16, 5, false}, {Type::Q6_K, 24, false}, {Type::Q4_0, 9, false}, {Type::Q4_1, 8, false}};
    Context ctx;
    std::vector<std::vector<uint8_t>> store;
    auto cpu = make_cpu_backend(2);
    std::vector<std::unique_ptr<Buffer>> packed;
    std::vector<Tensor*> weights;
    for (const W& w : ws) {
        std::vector<float> wf(size_t(K * w.M));
        for (auto& v : wf) v = u(rng);
        Tensor* t = ctx.new_tensor(w.t, {K, w.M});
        store.emplace_back(t->nbytes());
        t->data = store.back().data();
        quantize_rows(w.t, wf.data(), store.back().data(), w.M, K, 0);
        if (w.repack && repack_supported(w.t, K, w.M)) packed.push_back(cpu->prepare_product_weights({t}));
        weights.push_back(t);
    }
    for (int64_t N : {1, 3, 9}) {
        Tensor* b = ctx.new_tensor(Type::F32, {K, N});
        std::vector<float> bf(size_t(K * N));
        for (auto& v : bf) v = u(rng);
        b->data = bf.data();
        std::vector<std::vector<float>> want, got;
        std::vector<Tensor*> dsts;
        for (Tensor* w : weights) {
            want.emplace_back(size_t(w->ne[1] * N)), got.emplace_back(size_t(w->ne[1] * N), -1.0f);
            Tensor* d = ctx.new_tensor(Type::F32, {w->ne[1], N});
            d->op = Op::MulMat, d->src[0] = w, d->src[1] = b;
            d->data = want.back().data();
            op_mul_mat(d, {2});
            d->data = got.back().data();
            dsts.push_back(d);
        }
        op_mul_mat_siblings(dsts.data(), int(dsts.size()), {2});
        for (size_t i = 0; i < dsts.size(); i++) {
            INFO("N=" << N << " product " << i << " (" << type_name(ws[i].t) << ")");
            CHECK(got[i] == want[i]);  // the same kernels on the same quantized activations: bit for bit
        }
    }
}
