#include "ggml/graph.h"

#include <unordered_map>
#include <unordered_set>

namespace ggml {

void Graph::expand(Tensor* root) {
    std::unordered_set<const Tensor*> seen(nodes.begin(), nodes.end());
    seen.insert(leafs.begin(), leafs.end());
    // Iterative post-order walk, so deep graphs (hundreds of layers) cannot overflow the stack.
    struct Frame {
        Tensor* t;
        int next;
    };
    std::vector<Frame> stack;
    if (!seen.insert(root).second) return;
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
            if (seen.insert(d).second) stack.push_back({d, 0});
            continue;
        }
        (t->op == Op::None ? leafs : nodes).push_back(t);
        stack.pop_back();
    }
}

bool is_weight_product(const Tensor* t) {
    return t->op == Op::MulMat && t->src[0]->op == Op::None && !t->src[0]->view_src;
}

void Graph::group_sibling_products() {
    // A moved product's sources are a leaf and the activations, which precede the first sibling.
    std::unordered_map<const Tensor*, std::vector<Tensor*>> by_input;
    for (Tensor* n : nodes)
        if (is_weight_product(n)) by_input[n->src[1]].push_back(n);
    std::vector<Tensor*> order;
    order.reserve(nodes.size());
    std::unordered_set<const Tensor*> placed;
    for (Tensor* n : nodes) {
        if (placed.count(n)) continue;
        if (!is_weight_product(n)) {
            order.push_back(n);
            continue;
        }
        for (Tensor* s : by_input[n->src[1]]) {
            order.push_back(s);
            placed.insert(s);
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
    g.group_sibling_products();
    return g;
}

}  // namespace ggml
