// The type table and the half-precision conversions.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include "ggml/type.h"

using namespace ggml;

TEST_CASE("fp16 conversion is exact for every half value and rounds to nearest even", "[type]") {
    for (uint32_t h = 0; h < 65536; h++) {
        const float f = fp16_to_fp32(uint16_t(h));
        if (std::isnan(f)) {
            REQUIRE(std::isnan(fp16_to_fp32(fp32_to_fp16(f))));
            continue;
        }
        REQUIRE(fp32_to_fp16(f) == h);
    }
    REQUIRE(fp16_to_fp32(0x3c00) == 1.0f);
    REQUIRE(fp16_to_fp32(0x0001) == std::ldexp(1.0f, -24));
    // Halfway between 1 and the next half (1 + 2^-10): ties to even (1.0).
    REQUIRE(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
    REQUIRE(fp32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
    REQUIRE(fp32_to_fp16(65520.0f) == 0x7c00);  // rounds up to infinity
    REQUIRE(fp32_to_fp16(65519.0f) == 0x7bff);
    REQUIRE(fp32_to_fp16(std::ldexp(1.0f, -25)) == 0);           // tie with zero: even
    REQUIRE(fp32_to_fp16(std::ldexp(1.5f, -25)) == 1);
}

TEST_CASE("bf16 conversion rounds to nearest even", "[type]") {
    REQUIRE(bf16_to_fp32(fp32_to_bf16(1.0f)) == 1.0f);
    REQUIRE(fp32_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);   // tie: even
    REQUIRE(fp32_to_bf16(1.0f + std::ldexp(3.0f, -8)) == 0x3f82);
    REQUIRE(std::isnan(bf16_to_fp32(fp32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST_CASE("type table matches GGUF", "[type]") {
    REQUIRE(type_traits(Type::Q4_0).block_bytes == 18);
    REQUIRE(type_traits(Type::Q4_K).block_bytes == 144);
    REQUIRE(type_traits(Type::Q6_K).block_bytes == 210);
    REQUIRE(type_traits(Type::Q8_K).block_bytes == 292);
    REQUIRE(row_size(Type::Q8_0, 64) == 68);
    REQUIRE(uint32_t(Type::BF16) == 30);
    REQUIRE(!type_known(4));
    REQUIRE(!type_known(1000));
    Type t;
    REQUIRE(type_from_name("Q6_k", &t));
    REQUIRE(t == Type::Q6_K);
    REQUIRE(!type_from_name("q9_9", &t));
}
