// The scheduler: assigns each node to a backend, splits the graph into runs of nodes on one backend,
// copies tensors that cross between backends, plans each backend's compute buffer, and runs the pieces.
#pragma once
#include <memory>
#include <vector>

#include "ggml/alloc.h"

namespace ggml {

class Scheduler {
public:
    // Backends in order of preference; the last must be the CPU (the fallback for unsupported ops).
    explicit Scheduler(std::vector<Backend*> backends);
    ~Scheduler();

    // Assigns, plans (reusing the previous plan when the graph has the same shape) and computes.
    void compute(Graph& graph);
    // Computes the graph of the last compute() again after its inputs' data or its views' offsets changed
    // (the same nodes, ops and shapes): skips assigning, splitting and planning (~0.2 ms a decoded token on 2
    // cores). Falls back to compute() for another graph or one that crosses backends.
    void compute_again(Graph& graph);

    // After compute(): which backend ran node i, and how many splits the graph had.
    Backend* backend_of(const Tensor* node) const;
    int n_splits() const;
    size_t compute_buffer_size(const Backend* b) const;
    int n_plans() const;  // times a plan was made (a reused plan does not count)

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ggml
