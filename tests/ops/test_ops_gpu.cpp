// The op table on each GPU backend (Vulkan on Mesa's lavapipe in CI; CUDA where the machine has a device),
// the CPU last as the scheduler's fallback. Every case must run on the GPU (require_first): an op the
// backend claims but computes wrongly, and an op case it does not support, both fail.
// GIRAFFE_OP_FILTER=name runs the cases whose name contains it.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "backends/registry.h"
#include "ops/op_cases.h"
#include "test_util.h"

namespace {

void check_op_table_on(const std::string& kind) {
    if (!have_gpu(kind)) return;
    auto gpu = ggml::make_backend(ggml::parse_device(kind));
    auto cpu = ggml::make_backend(ggml::parse_device("cpu"), 2);
    const char* filter = std::getenv("GIRAFFE_OP_FILTER");
    optest::check_op_table({gpu.get(), cpu.get()}, filter ? filter : "", true);
}

// The block types' mul_mat and get_rows (optest::check_block_types).
void check_block_types_on(const std::string& kind) {
    if (!have_gpu(kind)) return;
    auto gpu = ggml::make_backend(ggml::parse_device(kind));
    auto cpu = ggml::make_backend(ggml::parse_device("cpu"), 2);
    optest::check_block_types(gpu.get(), cpu.get(), kind == "cuda");
}

}  // namespace

TEST_CASE("op table: vulkan", "[ops][vulkan]") { check_op_table_on("vulkan"); }
TEST_CASE("op table: cuda", "[ops][cuda]") { check_op_table_on("cuda"); }
TEST_CASE("vulkan: mul_mat and get_rows on every block type", "[ops][vulkan]") { check_block_types_on("vulkan"); }
TEST_CASE("cuda: mul_mat and get_rows on every block type", "[ops][cuda]") { check_block_types_on("cuda"); }
