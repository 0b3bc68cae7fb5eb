// Tensors, views and graphs: strides, shapes and topological order.
#include <catch2/catch.hpp>

#include "ggml/graph.h"
#include "ggml/ops.h"

using namespace ggml;

TEST_CASE("new_tensor sets contiguous strides", "[tensor]") {
    Context ctx;
    Tensor* t = ctx.new_tensor(Type::F16, {5, 3, 2});
    REQUIRE(t->nb[0] == 2);
    REQUIRE(t->nb[1] == 10);
    REQUIRE(t->nb[2] == 30);
    REQUIRE(t->nb[3] == 60);
    REQUIRE(t->nbytes() == 60);
    REQUIRE(t->is_contiguous());
    REQUIRE(t->n_dims() == 3);
    Tensor* q = ctx.new_tensor(Type::Q4_0, {64, 2});
    REQUIRE(q->nb[1] == 36);
    REQUIRE_THROWS_WITH(ctx.new_tensor(Type::Q4_0, {33}), Catch::Contains("block size"));
}

TEST_CASE("permute, transpose and views share bytes", "[tensor]") {
    Context ctx;
    Tensor* a = ctx.new_tensor(Type::F32, {4, 3, 2});
    Tensor* t = transpose(ctx, a);
    REQUIRE(t->ne[0] == 3);
    REQUIRE(t->ne[1] == 4);
    REQUIRE(t->nb[0] == 16);
    REQUIRE(t->nb[1] == 4);
    REQUIRE(!t->is_contiguous());
    REQUIRE(t->view_src == a);
    Tensor* p = permute(ctx, a, 2, 0, 1, 3);  // dim0 -> 2, dim1 -> 0, dim2 -> 1
    REQUIRE(p->ne[0] == 3);
    REQUIRE(p->ne[1] == 2);
    REQUIRE(p->ne[2] == 4);
    REQUIRE(p->nb[2] == 4);
    Tensor* v = view_2d(ctx, a, 2, 3, a->nb[1], 8);
    REQUIRE(v->view_offset == 8);
    Tensor* vv = view_1d(ctx, v, 2, 16);
    REQUIRE(vv->view_src == a);
    REQUIRE(vv->view_offset == 24);
    REQUIRE_THROWS_WITH(view_1d(ctx, a, 10, 80), Catch::Contains("exceeds"));
    REQUIRE_THROWS_WITH(reshape(ctx, t, {12}), Catch::Contains("not contiguous"));
}

TEST_CASE("graphs list every node after its sources", "[graph]") {
    Context ctx;
    Tensor* x = ctx.new_tensor(Type::F32, {8, 2});
    Tensor* w = ctx.new_tensor(Type::F32, {8, 8});
    Tensor* h = x;
    for (int i = 0; i < 2000; i++) h = add(ctx, mul_mat(ctx, w, h), x);  // deep: no recursion limits
    Graph g = build_graph({h});
    REQUIRE(g.nodes.size() == 4000);
    REQUIRE(g.leafs.size() == 2);
    std::vector<const Tensor*> seen;
    for (Tensor* n : g.nodes) {
        for (Tensor* s : n->src)
            if (s && s->op != Op::None) REQUIRE(std::find(seen.begin(), seen.end(), s) != seen.end());
        seen.push_back(n);
    }
}

TEST_CASE("op builders reject bad shapes with a clear message", "[ops]") {
    Context ctx;
    Tensor* a = ctx.new_tensor(Type::F32, {4, 3});
    Tensor* b = ctx.new_tensor(Type::F32, {3, 3});
    REQUIRE_THROWS_WITH(add(ctx, a, b), Catch::Contains("does not broadcast"));
    REQUIRE_THROWS_WITH(mul_mat(ctx, a, b), Catch::Contains("inner sizes differ"));
    Tensor* pos = ctx.new_tensor(Type::I32, {3});
    RopeParams rp;
    rp.n_dims = 3;
    REQUIRE_THROWS_WITH(rope(ctx, ctx.new_tensor(Type::F32, {4, 1, 3}), pos, nullptr, rp), Catch::Contains("even"));
}
