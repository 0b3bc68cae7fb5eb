#include "ggml/graph.h"

#include "ggml/ptr_map.h"

namespace ggml {

void Graph::expand(Tensor* root) {
    PtrMap<char> seen(nodes.size() + leafs.size());
    for (const Tensor* t : nodes) seen[t] = 1;
    for (const Tensor* t : leafs) seen[t] = 1;
    auto first_visit = [&](const Tensor* t) {
        char& s = seen[t];
        return s ? false : (s = 1, true);
    };
    // Iterative post-order walk, so deep graphs (hundreds of layers) cannot overflow the stack.
    struct Frame {
        Tensor* t;
        int next;
    };
    std::vector<Frame> stack;
    if (!first_visit(root)) return;
    stack.push_back({root, 0});
    while (!stack.empty()) {
        Frame& f = stack.back();
        Tensor* t = f.t;
        // A view's bytes belong to view_src, which therefore is a dependency too.
        Tensor* deps[kMaxSrc + 1];
        int n = 0;
        for (Tensor* s : t->src)
            if (s) deps[n++] = s;
        if (t->view_src) deps[n++] = t->view_src;
        if (f.next < n) {
            Tensor* d = deps[f.next++];
            if (first_visit(d)) stack.push_back({d, 0});
            continue;
        }
        (t->op == Op::None ? leafs : nodes).push_back(t);
        stack.pop_back();
    }
}

bool is_weight_product(const Tensor* t) {
    return t->op == Op::MulMat && t->src[0]->op == Op::None && !t->src[0]->view_src;
}

void group_sibling_products(std::vector<Tensor*>& nodes) {
    // A moved product's sources are a leaf and the activations, which precede the first sibling.
    PtrMap<std::vector<Tensor*>> by_input;
    for (Tensor* n : nodes)
        if (is_weight_product(n)) by_input[n->src[1]].push_back(n);
    std::vector<Tensor*> order;
    order.reserve(nodes.size());
    PtrMap<char> placed;
    for (Tensor* n : nodes) {
        if (placed.contains(n)) continue;
        if (!is_weight_product(n)) {
            order.push_back(n);
            continue;
        }
        for (Tensor* s : by_input[n->src[1]]) {
            order.push_back(s);
            placed[s] = 1;
        }
    }
    nodes = std::move(order);
}

Graph build_graph(std::initializer_list<Tensor*> outputs) {
    Graph g;
    for (Tensor* t : outputs) {
        t->is_output = true;
        g.expand(t);
    }
    return g;
}

}  // namespace ggml
