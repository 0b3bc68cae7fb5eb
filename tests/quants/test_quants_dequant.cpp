// Dequantization of every block-quantized type, bit for bit against gguf-py's numpy implementation
// (gguf.quants.dequantize, run through tests/quants/dequant_ref.py). Q8_1 and Q8_K are not implemented
// by gguf-py; they are checked against the plain formula written below instead.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "quants/quant_test_util.h"

using namespace ggml;
using qtest::QType;

namespace {

// Byte offsets of the f16 scale fields of each block (which must hold finite halves).
std::vector<size_t> half_fields(Type t) {
    switch (t) {
        case Type::Q4_0: case Type::Q5_0: case Type::Q8_0: return {0};
        case Type::Q4_1: case Type::Q5_1: case Type::Q8_1: case Type::Q4_K: case Type::Q5_K: return {0, 2};
        case Type::Q2_K: return {80, 82};
        case Type::Q3_K: return {108};
        case Type::Q6_K: return {208};
        default: return {};
    }
}

void put_half(uint8_t* p, uint16_t h) {
    p[0] = uint8_t(h & 0xFF);
    p[1] = uint8_t(h >> 8);
}

// Blocks covering random codes and scales plus edge cases, and blocks made by our own quantizer.
std::vector<uint8_t> make_blocks(Type t, uint32_t seed) {
    const TypeTraits& tt = type_traits(t);
    const size_t bb = tt.block_bytes;
    const std::vector<size_t> hf = half_fields(t);
    std::mt19937 rng(seed);
    std::vector<uint8_t> out;
    auto add_block = [&](const std::vector<uint8_t>& b) { out.insert(out.end(), b.begin(), b.end()); };
    auto random_block = [&](std::vector<uint16_t> halves, int fill) {
        std::vector<uint8_t> b(bb);
        for (auto& v : b) v = fill < 0 ? uint8_t(rng()) : uint8_t(fill);
        for (size_t i = 0; i < hf.size(); i++) put_half(&b[hf[i]], halves[i % halves.size()]);
        if (t == Type::Q8_K) {  // f32 d, kept finite
            const float d = std::ldexp(float(rng() % 1000) / 1000.0f, int(rng() % 20) - 10) * (rng() & 1 ? -1 : 1);
            std::memcpy(b.data(), &d, 4);
        }
        return b;
    };
    auto moderate_half = [&]() {  // sign, exponent 2^-10 .. 2^5, random mantissa
        return uint16_t(((rng() & 1) << 15) | ((5 + rng() % 16) << 10) | (rng() & 0x3FF));
    };
    auto any_finite_half = [&]() {  // any finite half, subnormals included
        return uint16_t(((rng() & 1) << 15) | ((rng() % 31) << 10) | (rng() & 0x3FF));
    };
    for (int i = 0; i < 48; i++) add_block(random_block({moderate_half(), moderate_half()}, -1));
    for (int i = 0; i < 16; i++) add_block(random_block({any_finite_half(), any_finite_half()}, -1));
    const uint16_t huge = fp32_to_fp16(60000.0f), nhuge = uint16_t(huge | 0x8000);
    const uint16_t one = 0x3C00, none = 0xBC00, sub_min = 0x0001, sub_max = 0x03FF, nsub = 0x8001;
    const uint16_t maxh = 0x7BFF, negzero = 0x8000;
    add_block(std::vector<uint8_t>(bb, 0));                          // all zeros
    for (int fill : {0x00, 0xFF, 0x55, 0xAA, 0x0F, 0xF0, 0x80, 0x7F}) {  // constant code patterns
        add_block(random_block({one, none}, fill));
        add_block(random_block({none, one}, fill));
    }
    for (auto h : {huge, nhuge, maxh, sub_min, sub_max, nsub, negzero}) {
        add_block(random_block({h, h}, -1));
        add_block(random_block({h, one}, -1));
        add_block(random_block({one, h}, -1));
        add_block(random_block({h, nhuge}, 0xFF));
    }
    // Our quantizer's output on a few kinds of data.
    const int64_t n = tt.block_size * 8;
    std::vector<std::vector<float>> data = {qtest::gaussian(size_t(n), seed + 1), qtest::uniform(size_t(n), seed + 2, -3.0f, 5.0f),
                                            qtest::sparse(size_t(n), seed + 3), qtest::uniform(size_t(n), seed + 4, 0.5f, 2.0f),
                                            qtest::gaussian(size_t(n), seed + 5, 1e-3f)};
    for (const auto& x : data) {
        std::vector<uint8_t> q(row_size(t, n));
        tt.from_float(x.data(), q.data(), n);
        add_block(q);
    }
    REQUIRE(out.size() % bb == 0);
    return out;
}

bool write_file(const std::string& path, const void* data, size_t n) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    const bool ok = std::fwrite(data, 1, n, f) == n;
    return std::fclose(f) == 0 && ok;
}

std::vector<float> read_floats(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string s = ss.str();
    std::vector<float> v(s.size() / 4);
    std::memcpy(v.data(), s.data(), v.size() * 4);
    return v;
}

bool have_python() {
    struct stat st;
    return ::stat(GIRAFFE_PYTHON, &st) == 0;
}

size_t count_bit_mismatches(const std::vector<float>& a, const std::vector<float>& b, size_t* first) {
    size_t bad = 0;
    *first = a.size();
    for (size_t i = 0; i < a.size(); i++) {
        if (std::memcmp(&a[i], &b[i], 4) != 0) {
            if (bad == 0) *first = i;
            bad++;
        }
    }
    return bad;
}

}  // namespace

TEST_CASE("quant block layouts and table", "[quants]") {
    for (const QType& q : qtest::all_qtypes()) {
        const TypeTraits& tt = type_traits(q.type);
        INFO(q.gguf_name);
        REQUIRE(tt.quantized);
        REQUIRE(tt.to_float != nullptr);
        REQUIRE(tt.from_float != nullptr);
        REQUIRE(quant_row_size(q.type, tt.block_size * 3) == 3 * tt.block_bytes);
    }
    REQUIRE(sizeof(block_q8_1) == type_traits(Type::Q8_1).block_bytes);
    REQUIRE(sizeof(block_q3_K) == type_traits(Type::Q3_K).block_bytes);
    REQUIRE(sizeof(block_q8_K) == type_traits(Type::Q8_K).block_bytes);
}

TEST_CASE("dequantization is bit-identical to gguf-py", "[quants][python]") {
    if (!have_python()) FAIL("Python with gguf/numpy not found at " GIRAFFE_PYTHON ": run `make setup`");
    qtest::TempDir dir;
    REQUIRE(!dir.path.empty());
    struct Case {
        QType q;
        std::vector<uint8_t> blocks;
        std::vector<float> ours;
    };
    std::vector<Case> cases;
    std::string cmd = std::string("'") + GIRAFFE_PYTHON + "' '" + GIRAFFE_SOURCE_DIR + "/tests/quants/dequant_ref.py'";
    uint32_t seed = 1234;
    for (const QType& q : qtest::all_qtypes()) {
        if (!q.in_gguf_py) continue;
        Case c{q, make_blocks(q.type, seed += 17), {}};
        const TypeTraits& tt = type_traits(q.type);
        const int64_t n = int64_t(c.blocks.size() / tt.block_bytes) * tt.block_size;
        c.ours.resize(size_t(n));
        tt.to_float(c.blocks.data(), c.ours.data(), n);
        const std::string in = dir.file(std::string(q.gguf_name) + ".bin"), out = dir.file(std::string(q.gguf_name) + ".f32");
        REQUIRE(write_file(in, c.blocks.data(), c.blocks.size()));
        cmd += std::string(" ") + q.gguf_name + " '" + in + "' '" + out + "'";
        cases.push_back(std::move(c));
    }
    const int rc = std::system(cmd.c_str());
    if (rc != 0) FAIL("dequant_ref.py failed (exit " << rc << "); is gguf installed in " GIRAFFE_PYTHON "? run `make setup`");
    for (const Case& c : cases) {
        INFO(c.q.gguf_name);
        const std::vector<float> ref = read_floats(dir.file(std::string(c.q.gguf_name) + ".f32"));
        REQUIRE(ref.size() == c.ours.size());
        for (size_t i = 0; i < ref.size(); i++) {
            INFO("element " << i);
            REQUIRE(std::isfinite(ref[i]));
            REQUIRE(std::isfinite(c.ours[i]));
        }
        size_t first = 0;
        const size_t bad = count_bit_mismatches(c.ours, ref, &first);
        INFO("mismatches: " << bad << ", first at " << first << ": ours "
                            << (first < ref.size() ? c.ours[first] : 0.0f) << " gguf-py "
                            << (first < ref.size() ? ref[first] : 0.0f));
        REQUIRE(bad == 0);
    }
}

// gguf-py has no Q8_1 / Q8_K: check against the format's formula, y = d * q, written independently.
TEST_CASE("q8_1 and q8_K dequantization match their formula", "[quants]") {
    for (Type t : {Type::Q8_1, Type::Q8_K}) {
        INFO(type_name(t));
        const TypeTraits& tt = type_traits(t);
        const std::vector<uint8_t> blocks = make_blocks(t, 99);
        const size_t nb = blocks.size() / tt.block_bytes;
        std::vector<float> ours(nb * size_t(tt.block_size));
        tt.to_float(blocks.data(), ours.data(), int64_t(ours.size()));
        for (size_t b = 0; b < nb; b++) {
            const uint8_t* p = blocks.data() + b * tt.block_bytes;
            float d;
            const int8_t* qs;
            if (t == Type::Q8_1) {
                d = fp16_to_fp32(uint16_t(p[0] | (p[1] << 8)));
                qs = reinterpret_cast<const int8_t*>(p + 4);
            } else {
                std::memcpy(&d, p, 4);
                qs = reinterpret_cast<const int8_t*>(p + 4);
            }
            for (int64_t i = 0; i < tt.block_size; i++) {
                const float want = d * float(qs[i]);
                const float got = ours[b * size_t(tt.block_size) + size_t(i)];
                REQUIRE(std::isfinite(got));
                REQUIRE(std::memcmp(&want, &got, 4) == 0);
            }
        }
    }
}

TEST_CASE("q8_1 and q8_K quantizers fill s and bsums", "[quants]") {
    const std::vector<float> x = qtest::gaussian(1024, 5);
    std::vector<block_q8_1> a(1024 / 32);
    quantize_row_q8_1(x.data(), a.data(), 1024);
    for (const auto& b : a) {
        int sum = 0;
        for (int8_t q : b.qs) {
            sum += q;
            REQUIRE(q >= -127);
        }
        const float d = fp16_to_fp32(b.d);
        REQUIRE(fp16_to_fp32(b.s) == fp16_to_fp32(fp32_to_fp16(d * float(sum))));
    }
    std::vector<block_q8_K> k(1024 / 256);
    quantize_row_q8_K(x.data(), k.data(), 1024);
    for (const auto& b : k) {
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int i = 0; i < 16; i++) sum += b.qs[g * 16 + i];
            REQUIRE(b.bsums[g] == sum);
        }
    }
}
