// The memory planner: tensors alive at the same time never share bytes, on random graphs.
#include <catch2/catch.hpp>

#include <random>
#include <unordered_map>

#include "ggml/alloc.h"
#include "ggml/ops.h"

using namespace ggml;

namespace {

// A random DAG of elementwise ops and views over a few inputs, with a few outputs.
Graph random_graph(Context& ctx, std::mt19937& rng, int n_ops) {
    std::vector<Tensor*> pool;
    std::uniform_int_distribution<int64_t> dim(1, 40);
    const int64_t n0 = dim(rng) * 2, n1 = dim(rng);
    for (int i = 0; i < 3; i++) pool.push_back(ctx.new_tensor(Type::F32, {n0, n1}));
    std::vector<Tensor*> made;
    for (int i = 0; i < n_ops; i++) {
        // Prefer recent tensors so chains form, but reach back sometimes to stretch lifetimes.
        std::uniform_int_distribution<size_t> pick(pool.size() > 6 ? pool.size() - 6 : 0, pool.size() - 1);
        std::uniform_int_distribution<size_t> any(0, pool.size() - 1);
        Tensor* a = pool[(rng() % 4 == 0) ? any(rng) : pick(rng)];
        Tensor* b = pool[any(rng)];
        Tensor* t = nullptr;
        switch (rng() % 6) {
        case 0: t = add(ctx, a, b); break;
        case 1: t = mul(ctx, a, b); break;
        case 2: t = silu(ctx, a); break;
        case 3: t = scale(ctx, a, 0.5f); break;
        case 4: t = cont(ctx, transpose(ctx, a)); t = cont(ctx, transpose(ctx, t)); break;
        default: t = rms_norm(ctx, reshape(ctx, a, {a->ne[0] / 2, a->ne[1] * 2}), 1e-5f);
                 t = reshape(ctx, t, {n0, n1}); break;
        }
        pool.push_back(t);
        made.push_back(t);
    }
    Graph g;
    for (int i = 0; i < 3; i++) {
        Tensor* out = made[made.size() - 1 - size_t(rng() % std::min<size_t>(made.size(), 8))];
        out->is_output = true;
        g.expand(out);
    }
    return g;
}

}  // namespace

TEST_CASE("plan_memory: live intermediates never overlap", "[alloc]") {
    std::mt19937 rng(1234);
    for (int trial = 0; trial < 200; trial++) {
        Context ctx;
        Graph g = random_graph(ctx, rng, 5 + trial % 60);
        const MemoryPlan plan = plan_memory(g, 32);
        const auto& nodes = g.nodes;
        std::unordered_map<const Tensor*, size_t> idx;
        for (size_t i = 0; i < nodes.size(); i++) idx[nodes[i]] = i;
        // Independent liveness: a planned node lives from its step to its last reader (through views).
        auto owner = [](const Tensor* t) { return t->view_src ? t->view_src : t; };
        std::vector<size_t> end(nodes.size());
        for (size_t i = 0; i < nodes.size(); i++) end[i] = nodes[i]->is_output ? nodes.size() : i;
        for (size_t i = 0; i < nodes.size(); i++) {
            for (const Tensor* s : nodes[i]->src)
                if (s && idx.count(owner(s))) end[idx[owner(s)]] = std::max(end[idx[owner(s)]], i);
            if (nodes[i]->view_src && idx.count(nodes[i]->view_src))
                end[idx[nodes[i]->view_src]] = std::max(end[idx[nodes[i]->view_src]], i);
            if (nodes[i]->is_output && nodes[i]->view_src && idx.count(nodes[i]->view_src))
                end[idx[nodes[i]->view_src]] = nodes.size();
        }
        size_t total = 0;
        for (size_t i = 0; i < nodes.size(); i++) {
            if (nodes[i]->view_src) {
                REQUIRE(plan.offsets[i] == SIZE_MAX);
                continue;
            }
            REQUIRE(plan.offsets[i] % 32 == 0);
            REQUIRE(plan.offsets[i] + nodes[i]->nbytes() <= plan.size);
            total += nodes[i]->nbytes();
            for (size_t j = 0; j < i; j++) {
                if (nodes[j]->view_src || end[j] < i) continue;  // j dead before i is born
                const bool disjoint = plan.offsets[i] + nodes[i]->nbytes() <= plan.offsets[j] ||
                                      plan.offsets[j] + nodes[j]->nbytes() <= plan.offsets[i];
                INFO("trial " << trial << ": node " << i << " overlaps live node " << j);
                REQUIRE(disjoint);
            }
        }
        REQUIRE(plan.size <= total + 32 * nodes.size());
    }
}

TEST_CASE("plan_memory: a chain reuses memory", "[alloc]") {
    Context ctx;
    Tensor* x = ctx.new_tensor(Type::F32, {1024, 16});
    Tensor* t = x;
    for (int i = 0; i < 50; i++) t = scale(ctx, t, 1.01f);
    Graph g = build_graph({t});
    const MemoryPlan plan = plan_memory(g, 64);
    // Two buffers ping-pong: a chain of 50 ops needs room for about two tensors, not fifty.
    REQUIRE(plan.size <= 3 * x->nbytes());
}
