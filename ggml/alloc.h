// Memory planning. Leaves (weights, inputs) get their own buffers; intermediates share one compute buffer
// whose layout is planned from liveness: a node's bytes are reused once its last reader has run.
#pragma once
#include <memory>
#include <unordered_set>
#include <vector>

#include "ggml/backend.h"

namespace ggml {

// Allocates every leaf of ctx that has no data yet (views are placed on their sources) in one buffer of
// backend; returns it (nullptr when there was nothing to allocate).
std::unique_ptr<Buffer> alloc_ctx_tensors(Backend& backend, Context& ctx);
// Places the given tensors one after another in one new buffer of backend (nullptr when the list is empty).
std::unique_ptr<Buffer> alloc_tensors(Backend& backend, const std::vector<Tensor*>& tensors);

// Offsets for a graph's intermediates within one buffer, from their lifetimes.
struct MemoryPlan {
    std::vector<size_t> offsets;  // per graph node (SIZE_MAX for views and nodes that already have data)
    size_t size = 0;              // peak bytes: the compute buffer size
};
// Plans nodes[i] for i in [begin, end) of graph (those that are not views and have no data yet).
// A node stays alive until the last node reading it (directly or through views) has run; outputs
// (is_output) stay alive to the end.
// Nodes in keep_alive stay alive to the end too (e.g. read later by another backend).
MemoryPlan plan_memory(const Graph& graph, size_t alignment);
MemoryPlan plan_memory(const std::vector<Tensor*>& nodes, size_t alignment,
                       const std::unordered_set<const Tensor*>& keep_alive = {});

}  // namespace ggml
