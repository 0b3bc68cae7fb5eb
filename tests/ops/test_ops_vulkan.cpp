// The op table on the Vulkan backend (Mesa's lavapipe in CI), the CPU last as the scheduler's fallback.
// Every case must run on Vulkan (require_first): an op the backend claims but computes wrongly, and an op
// case it does not support, both fail. GIRAFFE_OP_FILTER=name runs the cases whose name contains it.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "backends/registry.h"
#include "ops/op_cases.h"

TEST_CASE("op table: vulkan", "[ops][vulkan]") {
    std::string why;
    if (!ggml::vulkan_available(&why)) {
        if (std::getenv("GIRAFFE_REQUIRE_VULKAN")) FAIL("no Vulkan device: " << why);
        WARN("no Vulkan device, the Vulkan op table is skipped: " << why);
        return;
    }
    auto vk = ggml::make_backend(ggml::parse_device("vulkan"));
    auto cpu = ggml::make_backend(ggml::parse_device("cpu"), 2);
    const char* filter = std::getenv("GIRAFFE_OP_FILTER");
    optest::check_op_table({vk.get(), cpu.get()}, filter ? filter : "", true);
}
