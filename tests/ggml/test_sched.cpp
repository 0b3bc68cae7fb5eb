// The scheduler: splitting a graph across backends, copying between them, and reusing plans.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "backends/cpu/cpu_backend.h"
#include "ggml/ops.h"
#include "ggml/sched.h"

using namespace ggml;

namespace {

// A pretend device: memory the CPU may not read directly, and only mul_mat and add. It computes with
// an inner CPU backend so the numbers are real.
class FakeDevice : public Backend {
public:
    struct Buf : Buffer {
        Buf(Backend& b, size_t n) : owner(b), bytes(n) {}
        Backend& owner;
        std::vector<char> bytes;
        Backend& backend() const override { return owner; }
        void* base() const override { return const_cast<char*>(bytes.data()); }
        size_t size() const override { return bytes.size(); }
        bool is_host() const override { return false; }
        void upload(Tensor* t, const void* src, size_t off, size_t n) override {
            std::memcpy(static_cast<char*>(t->data) + off, src, n);
        }
        void download(const Tensor* t, void* dst, size_t off, size_t n) const override {
            std::memcpy(dst, static_cast<const char*>(t->data) + off, n);
        }
    };
    std::unique_ptr<Backend> inner = make_cpu_backend(1);
    int computed = 0;
    std::string name() const override { return "fake"; }
    std::unique_ptr<Buffer> alloc_buffer(size_t n) override { return std::make_unique<Buf>(*this, n); }
    bool supports(const Tensor* n) const override { return n->op == Op::MulMat || n->op == Op::Add; }
    void compute(const Graph& g) override {
        for (Tensor* n : g.nodes) {
            for (Tensor* s : n->src)
                if (s) REQUIRE(s->buffer != nullptr);
            computed++;
        }
        inner->compute(g);
    }
};

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
    std::normal_distribution<float> d;
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

}  // namespace

TEST_CASE("scheduler splits across backends and copies between them", "[sched]") {
    std::mt19937 rng(7);
    auto cpu = make_cpu_backend(2);
    FakeDevice dev;

    const int64_t K = 24, M = 16, N = 5;
    auto w_data = random_floats(K * M, rng), w2_data = random_floats(M * M, rng), x_data = random_floats(K * N, rng), b_data = random_floats(M, rng);

    auto run = [&](bool with_device, Scheduler* reuse) {
        Context weights, inputs;
        Tensor* w = weights.new_tensor(Type::F32, {K, M});
        Tensor* w2 = weights.new_tensor(Type::F32, {M, M});
        Tensor* x = inputs.new_tensor(Type::F32, {K, N});
        Tensor* b = inputs.new_tensor(Type::F32, {M});
        auto wbuf = alloc_ctx_tensors(with_device ? static_cast<Backend&>(dev) : *cpu, weights);
        auto ibuf = alloc_ctx_tensors(*cpu, inputs);
        tensor_set_f32(w, w_data.data());
        tensor_set_f32(w2, w2_data.data());
        tensor_set_f32(x, x_data.data());
        tensor_set_f32(b, b_data.data());
        Tensor* y = silu(inputs, add(inputs, mul_mat(inputs, w, x), b));
        Tensor* z = mul_mat(inputs, w2, transpose(inputs, cont(inputs, transpose(inputs, y))));  // back to the device
        Graph g = build_graph({y, z});
        Scheduler local({&dev, cpu.get()});
        Scheduler& s = reuse ? *reuse : local;
        s.compute(g);
        if (with_device) {
            REQUIRE(s.backend_of(g.nodes.front()) == &dev);
            REQUIRE(s.n_splits() >= 3);
        }
        std::vector<float> out(size_t(y->nelements() + z->nelements()));
        tensor_get_f32(y, out.data());
        tensor_get(z, out.data() + y->nelements(), z->nbytes());
        return out;
    };

    const std::vector<float> expect = run(false, nullptr);
    Scheduler shared({&dev, cpu.get()});
    const std::vector<float> got = run(true, &shared);
    REQUIRE(dev.computed > 0);
    for (size_t i = 0; i < expect.size(); i++) REQUIRE(got[i] == Approx(expect[i]).margin(1e-5));
    // Same graph shape again: the plan is reused.
    const std::vector<float> again = run(true, &shared);
    REQUIRE(shared.n_plans() == 1);
    REQUIRE(again == got);
}

TEST_CASE("scheduler reuses a plan for the same shape and replans for a new one", "[sched]") {
    auto cpu = make_cpu_backend(1);
    Scheduler s({cpu.get()});
    for (int64_t n : {8, 8, 8, 12, 12}) {
        Context ctx;
        Tensor* x = ctx.new_tensor(Type::F32, {n, 3});
        auto buf = alloc_ctx_tensors(*cpu, ctx);
        std::vector<float> v(size_t(n * 3), 2.0f);
        tensor_set_f32(x, v.data());
        Tensor* y = sqrt(ctx, scale(ctx, add(ctx, x, x), 2.0f));
        Graph g = build_graph({y});
        s.compute(g);
        tensor_get_f32(y, v.data());
        REQUIRE(v[0] == Approx(std::sqrt(8.0f)));
    }
    REQUIRE(s.n_plans() == 2);
}

TEST_CASE("scheduler keeps the plan when only where a view starts moves (decode's cache writes)", "[sched]") {
    auto cpu = make_cpu_backend(1);
    Scheduler s({cpu.get()});
    Context wctx;
    Tensor* cache = wctx.new_tensor(Type::F32, {4, 8});
    auto wbuf = alloc_ctx_tensors(*cpu, wctx);
    std::vector<float> cells(32);
    for (size_t i = 0; i < cells.size(); i++) cells[i] = float(i);
    tensor_set_f32(cache, cells.data());
    for (int64_t cell : {0, 3, 5}) {
        Context ctx;
        Tensor* x = ctx.new_tensor(Type::F32, {4});
        auto buf = alloc_ctx_tensors(*cpu, ctx);
        std::vector<float> v = {1, 2, 3, 4};
        tensor_set_f32(x, v.data());
        Tensor* y = scale(ctx, add(ctx, view_1d(ctx, cache, 4, size_t(cell) * 4 * sizeof(float)), x), 2.0f);
        Graph g = build_graph({y});
        s.compute(g);
        tensor_get_f32(y, v.data());
        for (int i = 0; i < 4; i++) REQUIRE(v[size_t(i)] == 2.0f * (float(cell * 4 + i) + float(i + 1)));
    }
    REQUIRE(s.n_plans() == 1);
}

// A graph computed again (decode reusing a token's graph): new input data and a view moved to another cell
// give the new numbers without a new plan; another graph, or one split across backends, takes the full path.
TEST_CASE("scheduler computes the same graph again after its inputs and views moved", "[sched]") {
    auto cpu = make_cpu_backend(1);
    Scheduler s({cpu.get()});
    Context ctx;
    Tensor* cache = ctx.new_tensor(Type::F32, {4, 8});
    Tensor* x = ctx.new_tensor(Type::F32, {4});
    auto buf = alloc_ctx_tensors(*cpu, ctx);
    std::vector<float> cells(32);
    for (size_t i = 0; i < cells.size(); i++) cells[i] = float(i);
    tensor_set_f32(cache, cells.data());
    Tensor* cell = view_1d(ctx, cache, 4, 0);
    Tensor* y = scale(ctx, add(ctx, cell, x), 2.0f);
    Graph g = build_graph({y});
    std::vector<float> v = {1, 2, 3, 4};
    for (int64_t c : {0, 3, 5, 7}) {
        for (int i = 0; i < 4; i++) v[size_t(i)] = float(c + i);
        tensor_set_f32(x, v.data());
        cell->view_offset = size_t(c) * 4 * sizeof(float);
        if (c == 0) s.compute(g);
        else s.compute_again(g);
        tensor_get_f32(y, v.data());
        for (int i = 0; i < 4; i++) REQUIRE(v[size_t(i)] == 2.0f * (float(c * 4 + i) + float(c + i)));
    }
    REQUIRE(s.n_plans() == 1);

    // Not the last graph computed: compute_again computes it in full.
    Tensor* z = sqrt(ctx, x);
    Graph g2 = build_graph({z});
    s.compute_again(g2);
    tensor_get_f32(z, v.data());
    REQUIRE(v[1] == Approx(std::sqrt(8.0f)));
    REQUIRE(s.n_plans() == 2);
}

TEST_CASE("scheduler names an input without data", "[sched]") {
    auto cpu = make_cpu_backend(1);
    Context ctx;
    Tensor* x = ctx.new_tensor(Type::F32, {4});
    x->name = "tokens";
    Tensor* y = scale(ctx, x, 2.0f);
    Graph g = build_graph({y});
    Scheduler s({cpu.get()});
    REQUIRE_THROWS_WITH(s.compute(g), Catch::Contains("tokens"));
}

TEST_CASE("graph: weight products of the same activations are put side by side (the CPU's node order)", "[sched]") {
    Context ctx;
    Tensor* x = ctx.new_tensor(Type::F32, {8, 2});
    Tensor* wq = ctx.new_tensor(Type::F32, {8, 8});
    Tensor* wk = ctx.new_tensor(Type::F32, {8, 8});
    Tensor* wv = ctx.new_tensor(Type::F32, {8, 8});
    Tensor* h = rms_norm(ctx, x, 1e-5f);
    // q is worked on before k and v are even computed: the walk puts other nodes between the products.
    Tensor* q = scale(ctx, mul_mat(ctx, wq, h), 0.5f);
    Tensor* kv = add(ctx, silu(ctx, mul_mat(ctx, wk, h)), mul_mat(ctx, wv, h));
    Tensor* prod = mul_mat(ctx, kv, q);  // not a weight product: its a is computed
    Graph g = build_graph({prod});
    group_sibling_products(g.nodes);
    std::vector<size_t> at;
    for (size_t i = 0; i < g.nodes.size(); i++)
        if (is_weight_product(g.nodes[i])) at.push_back(i);
    REQUIRE(at.size() == 3);
    CHECK(at[1] == at[0] + 1);
    CHECK(at[2] == at[0] + 2);
    CHECK(!is_weight_product(g.nodes.back()));
    for (size_t i = 0; i < g.nodes.size(); i++)  // still every node after its sources
        for (const Tensor* s : g.nodes[i]->src)
            for (size_t j = i; s && j < g.nodes.size(); j++) CHECK(g.nodes[j] != s);
}

TEST_CASE("scheduler: graph inputs do not draw their readers to the CPU, weights do", "[sched]") {
    auto cpu = make_cpu_backend(1);
    FakeDevice dev;
    for (bool marked : {false, true}) {
        Context weights, inputs;
        Tensor* w = weights.new_tensor(Type::F32, {4, 4});
        Tensor* x = inputs.new_tensor(Type::F32, {4, 2});
        Tensor* b = inputs.new_tensor(Type::F32, {4, 2});
        auto wbuf = alloc_ctx_tensors(dev, weights);
        auto ibuf = alloc_ctx_tensors(*cpu, inputs);
        ibuf->holds_inputs = marked;
        const std::vector<float> zeros(16, 0.0f);  // enough for the largest (w, 4 x 4)
        tensor_set_f32(w, zeros.data());
        tensor_set_f32(x, zeros.data());
        tensor_set_f32(b, zeros.data());
        Tensor* sum = add(inputs, x, b);  // reads only inputs
        Tensor* y = mul_mat(inputs, w, sum);
        Graph g = build_graph({y});
        Scheduler s({&dev, cpu.get()});
        s.compute(g);
        INFO("inputs marked: " << marked);
        CHECK(s.backend_of(sum) == (marked ? static_cast<Backend*>(&dev) : cpu.get()));
        CHECK(s.backend_of(y) == &dev);  // the weights' backend
    }
}
