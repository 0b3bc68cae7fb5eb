#include "ggml/graph.h"

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

Graph build_graph(std::initializer_list<Tensor*> outputs) {
    Graph g;
    for (Tensor* t : outputs) {
        t->is_output = true;
        g.expand(t);
    }
    return g;
}

}  // namespace ggml
