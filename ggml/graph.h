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

// Moves weight products that read the same activations (a layer's Q, K and V projections; the
// feed-forward's gate and up) next to the first of them, so that a backend can run each such run of
// siblings as one pass (the CPU's decode quantizes the activations once and streams all their weights
// in one split of the threads). Every node still follows its sources. A Backend::order_nodes for those
// that want it.
void group_sibling_products(std::vector<Tensor*>& nodes);

// Whether t is a product of weights (a leaf, not a view of something computed) with activations.
bool is_weight_product(const Tensor* t);

// Graph computing the given outputs (each marked is_output).
Graph build_graph(std::initializer_list<Tensor*> outputs);

}  // namespace ggml
