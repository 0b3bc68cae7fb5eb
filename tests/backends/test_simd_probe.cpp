// The run-time probe against the CPU it runs on. scripts/test-aarch64.sh runs the tests on emulated ARM
// cores with and without dotprod and names the level each must pick in GIRAFFE_EXPECT_SIMD: a probe that
// misses dotprod, or picks it where the core lacks it, fails there. Without the variable it only reports.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "backends/cpu/features.h"

TEST_CASE("features: the probe picks the level the CPU has", "[simd][probe]") {
    ggml::cpu::force_simd_level("");  // the best level the probe found, whatever GIRAFFE_SIMD says
    const std::string level = ggml::cpu::simd_level_name();
    if (const char* want = std::getenv("GIRAFFE_EXPECT_SIMD")) CHECK(level == want);
    else SUCCEED("best SIMD level: " << level);
}
