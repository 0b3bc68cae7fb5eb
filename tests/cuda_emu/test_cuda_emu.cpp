// The CUDA backend without a GPU: its kernels and host code compiled for the CUDA emulation (cuda_emu.h),
// checked by the op table as a real device is (tests/ops/test_ops_gpu.cpp), plus what the table cannot
// reach: flash attention with and without flash decoding, and the CUDA graphs a backend captures and
// replays when a piece of graph repeats. GIRAFFE_OP_FILTER=name runs the table's cases whose name contains it.
// Compiled with -DGIRAFFE_CUDA_EMULATE like the backend: cuda_backend.h then names ggml::cuda_emu.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cuda/cuda_backend.h"
#include "ggml/alloc.h"
#include "ggml/ops.h"
#include "ggml/quants.h"
#include "ggml/sched.h"
#include "ops/op_cases.h"
#include "tests/cuda_emu/cuda_emu.h"

namespace {

// The emulated device with `sms` multiprocessors (GIRAFFE_CUDA_EMU_SMS, read as the backend is made;
// null: as the environment says), the previous setting restored afterwards.
std::unique_ptr<ggml::Backend> emulated(const char* sms = nullptr) {
    const char* old = std::getenv("GIRAFFE_CUDA_EMU_SMS");
    const std::string saved = old ? old : "";
    if (sms) setenv("GIRAFFE_CUDA_EMU_SMS", sms, 1);
    auto b = ggml::cuda_emu::make_backend(0);
    if (sms) {
        if (old) setenv("GIRAFFE_CUDA_EMU_SMS", saved.c_str(), 1);
        else unsetenv("GIRAFFE_CUDA_EMU_SMS");
    }
    return b;
}

std::string op_filter() {
    const char* f = std::getenv("GIRAFFE_OP_FILTER");
    return f ? f : "";
}

}  // namespace

TEST_CASE("cuda emulator: op table", "[cuda_emu][ops]") {
    auto gpu = emulated();
    auto cpu = ggml::make_cpu_backend(2);
    REQUIRE(gpu->description().find("giraffe CUDA emulator") != std::string::npos);
    optest::check_op_table({gpu.get(), cpu.get()}, op_filter(), true);
}

// The table's flash_attn cases again on a device of 1 and of 64 multiprocessors: flash decoding splits the
// cells when a launch has fewer than 2 blocks a multiprocessor, so the first runs nearly every case in
// one pass and the second nearly every case split and merged (the table above, at 4, runs a mix).
TEST_CASE("cuda emulator: flash_attn unsplit and split", "[cuda_emu][ops]") {
    const std::string filter = op_filter();
    if (!filter.empty() && filter.find("flash_attn") == std::string::npos) return;
    for (const char* sms : {"1", "64"}) {
        DYNAMIC_SECTION(sms << " SMs") {
            auto gpu = emulated(sms);
            auto cpu = ggml::make_cpu_backend(2);
            optest::check_op_table({gpu.get(), cpu.get()}, filter.empty() ? "flash_attn" : filter, true);
        }
    }
}

TEST_CASE("cuda emulator: mul_mat and get_rows on every block type", "[cuda_emu][ops]") {
    auto gpu = emulated();
    auto cpu = ggml::make_cpu_backend(2);
    optest::check_block_types(gpu.get(), cpu.get(), true);
}

// The quantized KV cache's writes (cpy.cu's port of quant_sym) give the CPU quantizer's bytes exactly, on
// rows the table's exact-valued cases do not have: random values, zeros, outliers, tiny and huge scales.
TEST_CASE("cuda emulator: cpy into q8_0, q4_0 and q5_0 is bit-exact with the CPU's quantizer", "[cuda_emu][ops]") {
    using ggml::Type;
    auto gpu = emulated();
    auto cpu = ggml::make_cpu_backend(2);
    const int64_t K = 256, rows = 8;
    optest::Rng rng(5);
    std::vector<float> x(size_t(K * rows));
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = 0; i < K; i++) {
            float v = float(rng.uniform(-1, 1));
            if (r == 1) v = 0.0f;
            if (r == 2 && i % 32 == 5) v = 40.0f;  // one outlier a block
            if (r == 3) v *= 1e-6f;                // scales below f16's normal range
            if (r == 4) v *= 1e6f;                 // scales past f16's largest
            if (r == 5 && i % 3 == 0) v = 0.0f;
            if (r == 6) v = float(int(v * 9.0f)) / 8.0f;  // ties between codes
            x[size_t(r * K + i)] = v;
        }
    for (Type t : {Type::Q8_0, Type::Q4_0, Type::Q5_0}) {
        DYNAMIC_SECTION(ggml::type_name(t)) {
            ggml::Context ctx;
            ggml::Tensor* a = ctx.new_tensor(Type::F32, {K, rows});
            ggml::Tensor* q = ggml::cast(ctx, a, t);
            ggml::Graph g = ggml::build_graph({q});
            auto buf = ggml::alloc_ctx_tensors(*gpu, ctx);
            ggml::tensor_set(a, x.data(), x.size() * 4);
            ggml::Scheduler s({gpu.get(), cpu.get()});
            s.compute(g);
            REQUIRE(s.backend_of(q) == gpu.get());
            std::vector<uint8_t> got(ggml::row_size(t, K) * size_t(rows)), want(got.size());
            ggml::tensor_get(q, got.data(), got.size());
            ggml::quantize_rows(t, x.data(), want.data(), rows, K, 1);
            const size_t block = ggml::row_size(t, 32);
            for (size_t b = 0; b < got.size() / block; b++) {
                INFO("row " << b / size_t(K / 32) << ", block " << b % size_t(K / 32));
                CHECK(std::vector<uint8_t>(got.begin() + long(b * block), got.begin() + long((b + 1) * block)) ==
                      std::vector<uint8_t>(want.begin() + long(b * block), want.begin() + long((b + 1) * block)));
            }
        }
    }
}

namespace {

// A decode step's worth of graph, built twice (on the emulated device and on the CPU) from the same
// inputs: rms_norm and a product, and attention of one token over n_kv cached f16 cells.
struct Step {
    ggml::Context ctx;
    ggml::Tensor *x, *w, *q, *k, *v, *mask, *y, *attn;
    ggml::Graph graph;
    std::unique_ptr<ggml::Buffer> buf;
    std::unique_ptr<ggml::Scheduler> sched;

    Step(ggml::Backend& b, ggml::Backend& cpu, int64_t n_kv) {
        using ggml::Type;
        x = ctx.new_tensor(Type::F32, {96, 3});
        w = ctx.new_tensor(Type::F32, {96, 40});
        q = ctx.new_tensor(Type::F32, {64, 1, 8});
        k = ctx.new_tensor(Type::F16, {64, n_kv, 2});
        v = ctx.new_tensor(Type::F16, {64, n_kv, 2});
        mask = ctx.new_tensor(Type::F32, {n_kv, 1});
        y = ggml::mul_mat(ctx, w, ggml::rms_norm(ctx, x, 1e-6f));
        attn = ggml::flash_attn(ctx, q, k, v, mask, 0.125f);
        graph = ggml::build_graph({y, attn});
        buf = ggml::alloc_ctx_tensors(b, ctx);
        std::vector<ggml::Backend*> order{&b, &cpu};
        if (&b == &cpu) order.pop_back();
        sched = std::make_unique<ggml::Scheduler>(order);
    }
    // New inputs from rng (the same on both sides for the same seed); computes.
    void run(uint64_t seed) {
        optest::Rng rng(seed);
        for (ggml::Tensor* t : {x, w, q, k, v, mask}) {
            std::vector<float> f(size_t(t->nelements()));
            for (float& e : f) e = float(rng.uniform(-1, 1));
            if (t == mask)
                for (size_t i = 0; i < f.size(); i++) f[i] = i % 7 == 3 ? -INFINITY : f[i];
            ggml::tensor_set_f32(t, f.data());
        }
        sched->compute(graph);
    }
    std::vector<float> get(const ggml::Tensor* t) const {
        std::vector<float> f(size_t(t->nelements()));
        ggml::tensor_get_f32(t, f.data());
        return f;
    }
};

void check_close(const std::vector<float>& got, const std::vector<float>& want) {
    REQUIRE(got.size() == want.size());
    double max_ref = 0, max_err = 0;
    for (size_t i = 0; i < got.size(); i++) {
        max_ref = std::max(max_ref, std::fabs(double(want[i])));
        max_err = std::max(max_err, std::isfinite(got[i]) ? std::fabs(double(got[i]) - want[i]) : HUGE_VAL);
    }
    INFO("max |err| / max |ref| = " << max_err / max_ref);
    CHECK(max_err <= 1e-5 * max_ref);
}

}  // namespace

// A piece computed a second time with the same launches is captured into a graph, later ones update it in
// place and launch it; every result must match the CPU's, with new inputs each time. Flash decoding's scratch is part of what a
// graph captures: a larger piece in between grows (reallocates) it, and the first piece must still be right.
TEST_CASE("cuda emulator: graphs captured and replayed", "[cuda_emu][graphs]") {
    using ggml::cuda_emu::stats;
    auto cpu = ggml::make_cpu_backend(2);
    {
        auto gpu = emulated("64");  // decode splits its 256 cells: the scratch is used
        Step a(*gpu, *cpu, 256), a_cpu(*cpu, *cpu, 256);
        Step big(*gpu, *cpu, 2048), big_cpu(*cpu, *cpu, 2048);
        auto step = [&](Step& s, Step& ref, uint64_t seed) {
            s.run(seed);
            ref.run(seed);
            REQUIRE(s.sched->backend_of(s.attn) == gpu.get());
            REQUIRE(s.sched->backend_of(s.y) == gpu.get());
            check_close(s.get(s.y), ref.get(ref.y));
            check_close(s.get(s.attn), ref.get(ref.attn));
        };
        const auto s0 = stats();
        step(a, a_cpu, 1);  // launched
        CHECK(stats().captured == s0.captured);
        step(a, a_cpu, 2);  // captured, then launched as a graph
        const auto s1 = stats();
        CHECK(s1.captured > s0.captured);
        CHECK(s1.graph_launches == s0.graph_launches + 1);
        step(a, a_cpu, 3);  // captured again, the graph updated in place and launched
        const auto s2 = stats();
        CHECK(s2.captured - s1.captured == s1.captured - s0.captured);
        CHECK(s2.updated == s1.updated + 1);
        CHECK(s2.graph_launches == s1.graph_launches + 1);
        CHECK(s2.launches - s1.launches == s1.captured - s0.captured);  // the launch ran every captured launch

        // The same shapes at other addresses (as a decode step writes its cache at a new offset) share the
        // graph: updated with the new arguments, the results are the new piece's.
        Step a2(*gpu, *cpu, 256), a2_cpu(*cpu, *cpu, 256);
        step(a2, a2_cpu, 9);
        CHECK(stats().updated == s2.updated + 1);
        step(a, a_cpu, 10);
        CHECK(stats().updated == s2.updated + 2);

        step(big, big_cpu, 4);  // a larger scratch
        step(big, big_cpu, 5);
        step(a, a_cpu, 6);
        step(a, a_cpu, 7);
        step(big, big_cpu, 8);
    }
    {
        // More pieces than the backend keeps graphs for (8): the oldest are dropped, every result stays right
        // (the largest first: the scratch never grows after it).
        auto gpu = emulated("64");
        long pieces = 0;
        for (int64_t n_kv : {120, 112, 104, 96, 88, 80, 72, 64, 56, 48, 40}) {
            Step s(*gpu, *cpu, n_kv), ref(*cpu, *cpu, n_kv);
            for (uint64_t seed : {1, 2, 3}) {
                s.run(seed + uint64_t(n_kv));
                ref.run(seed + uint64_t(n_kv));
                check_close(s.get(s.attn), ref.get(ref.attn));
                check_close(s.get(s.y), ref.get(ref.y));
            }
            CHECK(stats().live_execs == std::min(++pieces, 8L));
        }
    }
    // The backends gave back everything they took.
    const auto s = stats();
    CHECK(s.live_allocations == 0);
    CHECK(s.live_events == 0);
    CHECK(s.live_streams == 0);
    CHECK(s.live_graphs == 0);
    CHECK(s.live_execs == 0);
}

// GIRAFFE_CUDA_GRAPHS=0: every compute launches its kernels.
TEST_CASE("cuda emulator: graphs off", "[cuda_emu][graphs]") {
    using ggml::cuda_emu::stats;
    setenv("GIRAFFE_CUDA_GRAPHS", "0", 1);
    auto gpu = emulated("64");
    unsetenv("GIRAFFE_CUDA_GRAPHS");
    auto cpu = ggml::make_cpu_backend(2);
    Step a(*gpu, *cpu, 100), a_cpu(*cpu, *cpu, 100);
    const auto s0 = stats();
    for (uint64_t seed : {1, 2, 3}) {
        a.run(seed);
        a_cpu.run(seed);
        check_close(a.get(a.attn), a_cpu.get(a_cpu.attn));
    }
    CHECK(stats().captured == s0.captured);
    CHECK(stats().graph_launches == s0.graph_launches);
}

// The split path is taken where the table's cases expect it: a decode launch of two blocks (two KV heads)
// on a device of 64 multiprocessors splits (flash_attn, then the merge), on a device of 1 it does not.
TEST_CASE("cuda emulator: flash decoding splits on a large device only", "[cuda_emu]") {
    using ggml::cuda_emu::stats;
    auto cpu = ggml::make_cpu_backend(2);
    setenv("GIRAFFE_CUDA_GRAPHS", "0", 1);
    for (const char* sms : {"1", "64"}) {
        auto gpu = emulated(sms);
        ggml::Context ctx;
        ggml::Tensor* q = ctx.new_tensor(ggml::Type::F32, {64, 1, 8});
        ggml::Tensor* k = ctx.new_tensor(ggml::Type::F16, {64, 300, 2});
        ggml::Tensor* v = ctx.new_tensor(ggml::Type::F16, {64, 300, 2});
        ggml::Tensor* attn = ggml::flash_attn(ctx, q, k, v, nullptr, 0.125f);
        ggml::Graph g = ggml::build_graph({attn});
        auto buf = ggml::alloc_ctx_tensors(*gpu, ctx);
        std::vector<float> zeros(64 * 300 * 8, 0.0f);
        for (ggml::Tensor* t : {q, k, v}) ggml::tensor_set_f32(t, zeros.data());
        ggml::Scheduler s({gpu.get(), cpu.get()});
        const long before = stats().launches;
        s.compute(g);
        REQUIRE(s.backend_of(attn) == gpu.get());
        CHECK(stats().launches - before == (std::string(sms) == "1" ? 1 : 2));
    }
    unsetenv("GIRAFFE_CUDA_GRAPHS");
}
