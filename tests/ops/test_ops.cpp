// The op table on the CPU backend. Other backends add one TEST_CASE calling check_op_table with their backend
// first and the CPU last, e.g.  optest::check_op_table({vulkan.get(), cpu.get()}, "", true);
#include <catch2/catch.hpp>
#include <set>

#include "backends/cpu/cpu_backend.h"
#include "ops/op_cases.h"

TEST_CASE("op table: cpu 1 thread", "[ops][cpu]") {
    auto cpu = ggml::make_cpu_backend(1);
    optest::check_op_table({cpu.get()});
}

TEST_CASE("op table: cpu 2 threads", "[ops][cpu]") {
    auto cpu = ggml::make_cpu_backend(2);
    optest::check_op_table({cpu.get()});
}

TEST_CASE("op table: names start with their op and cover every op", "[ops]") {
    const char* ops[] = {"cpy", "cont", "cast", "concat", "get_rows", "add", "sub", "mul", "div", "scale", "sqr",
                         "sqrt", "clamp", "unary", "glu", "rms_norm", "norm", "soft_max", "sum_rows", "mean",
                         "argmax", "rope", "mul_mat"};
    std::set<std::string> seen;
    for (const optest::OpCase& c : optest::op_cases()) {
        bool named = false;
        for (const char* op : ops) {
            const std::string prefix = std::string(op) + "_";
            if (c.name.compare(0, prefix.size(), prefix) == 0) {
                named = true;
                seen.insert(op);
            }
        }
        INFO(c.name);
        CHECK(named);
    }
    for (const char* op : ops) {
        INFO(op);
        CHECK(seen.count(op) == 1);
    }
}
