// A graph is the nodes needed to compute some outputs, in an order where every node follows its sources.
#pragma once
#include <vector>

#include "ggml/tensor.h"

namespace ggml {

struct Graph {
    std::vector<Tensor*> nodes;  // computed tensors (op != None), topologically ordered
    std::vector<Tensor*> leafs;  // inputs and weights reached from the outputs

    // Adds t and everything it depends on (depth-first; an already-present node is not added twice).
    void expand(Tensor* t);
};

// Graph computing the given outputs (each marked is_output).
Graph build_graph(std::initializer_list<Tensor*> outputs);

}  // namespace ggml
