// The op table on the CPU backend. Other backends add one TEST_CASE calling check_op_table with their backend
// first and the CPU last, e.g.  optest::check_op_table({vulkan.get(), cpu.get()}, "", true);
#include <catch2/catch.hpp>
#include <set>
#include <thread>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/ops/ops.h"
#include "ggml/ops.h"
#include "ggml/tensor.h"
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
                         "argmax", "rope", "mul_mat", "flash_attn"};
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

// rope remembers its last few angle tables per thread: a call whose positions, frequency factors or
// parameters changed in place must not be served a stale table. A fresh thread (no tables yet) gives the truth.
TEST_CASE("rope: remembered angle tables follow positions, factors and parameters", "[ops][cpu]") {
    ggml::Context c;
    ggml::Tensor* x = c.new_tensor(ggml::Type::F32, {64, 2, 3});
    ggml::Tensor* pos = c.new_tensor(ggml::Type::I32, {3});
    ggml::Tensor* ff = c.new_tensor(ggml::Type::F32, {32});
    std::vector<float> xv(64 * 2 * 3), fv(32, 1.5f), out(xv.size());
    std::vector<int32_t> pv = {3, 9, 200};
    for (size_t i = 0; i < xv.size(); i++) xv[i] = float(i % 17) - 8.0f;
    x->data = xv.data(), pos->data = pv.data(), ff->data = fv.data();
    ggml::RopeParams p;
    p.n_dims = 64;
    ggml::Tensor* node = ggml::rope(c, x, pos, ff, p);
    node->data = out.data();
    auto run = [&] {
        ggml::cpu::op_rope(node, {1});
        return out;
    };
    auto fresh = [&] {
        std::vector<float> r;
        std::thread([&] { r = run(); }).join();
        return r;
    };
    const std::vector<float> a = run();
    CHECK(a == fresh());
    pv[1] = 77;
    const std::vector<float> b = run();
    CHECK(b != a);
    CHECK(b == fresh());
    fv[5] = 4.0f;
    const std::vector<float> d = run();
    CHECK(d != b);
    CHECK(d == fresh());
    node->set_param(3, 20000.0f);  // freq_base
    const std::vector<float> e = run();
    CHECK(e != d);
    CHECK(e == fresh());
    pv[1] = 9, fv[5] = 1.5f, node->set_param(3, 10000.0f);
    CHECK(run() == a);
}
