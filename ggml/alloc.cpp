#include "ggml/alloc.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include "ggml/ptr_map.h"

namespace ggml {
namespace {

size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

// Free ranges of the compute buffer, kept merged; allocation takes the best-fitting range.
class FreeList {
public:
    size_t alloc(size_t n) {
        auto best = free_.end();
        for (auto it = free_.begin(); it != free_.end(); ++it)
            if (it->second >= n && (best == free_.end() || it->second < best->second)) best = it;
        if (best == free_.end()) {
            // Grow at the end, reusing a free range that touches the end.
            size_t off = end_;
            if (!free_.empty()) {
                auto last = std::prev(free_.end());
                if (last->first + last->second == end_) {
                    off = last->first;
                    free_.erase(last);
                }
            }
            end_ = off + n;
            return off;
        }
        const size_t off = best->first, len = best->second;
        free_.erase(best);
        if (len > n) free_[off + n] = len - n;
        return off;
    }
    void release(size_t off, size_t n) {
        auto it = free_.emplace(off, n).first;
        auto next = std::next(it);
        if (next != free_.end() && off + it->second == next->first) {
            it->second += next->second;
            free_.erase(next);
        }
        if (it != free_.begin()) {
            auto prev = std::prev(it);
            if (prev->first + prev->second == it->first) {
                prev->second += it->second;
                free_.erase(it);
            }
        }
    }
    size_t peak() const { return end_; }

private:
    std::map<size_t, size_t> free_;  // offset -> length
    size_t end_ = 0;
};

// The tensor that owns t's bytes.
const Tensor* owner(const Tensor* t) { return t->view_src ? t->view_src : t; }

}  // namespace

std::unique_ptr<Buffer> alloc_tensors(Backend& backend, const std::vector<Tensor*>& tensors) {
    const size_t al = backend.alignment();
    std::vector<size_t> offsets;
    size_t size = 0;
    for (const Tensor* t : tensors) {
        offsets.push_back(size);
        size += align_up(t->nbytes(), al);
    }
    if (tensors.empty()) return nullptr;
    std::unique_ptr<Buffer> buf = backend.alloc_buffer(size);
    for (size_t i = 0; i < tensors.size(); i++) place_tensor(tensors[i], buf.get(), offsets[i]);
    return buf;
}

std::unique_ptr<Buffer> alloc_ctx_tensors(Backend& backend, Context& ctx) {
    std::vector<Tensor*> todo;
    for (size_t i = 0; i < ctx.size(); i++) {
        Tensor* t = ctx.at(i);
        if (t->op == Op::None && !t->data && !t->view_src) todo.push_back(t);
    }
    return alloc_tensors(backend, todo);
}

MemoryPlan plan_memory(const std::vector<Tensor*>& nodes, size_t alignment,
                       const std::unordered_set<const Tensor*>& keep_alive) {
    // Which nodes need bytes of their own, and the step after which nobody reads them.
    PtrMap<size_t> index(nodes.size());
    for (size_t i = 0; i < nodes.size(); i++) index[nodes[i]] = i;
    auto planned = [&](const Tensor* t) { return index.contains(t) && !t->view_src && !t->data; };
    std::vector<size_t> last_use(nodes.size(), 0);
    for (size_t i = 0; i < nodes.size(); i++) {
        const Tensor* n = nodes[i];
        if (planned(n)) last_use[i] = std::max(last_use[i], i);
        auto touch = [&](const Tensor* s) {
            if (!s) return;
            if (const size_t* j = index.find(owner(s))) last_use[*j] = std::max(last_use[*j], i);
        };
        for (const Tensor* s : n->src) touch(s);
        touch(n->view_src);
        // A view that is itself read later keeps its owner alive: handled because readers of the view
        // touch owner(view) above.
        if (n->is_output) touch(n);
    }
    for (size_t i = 0; i < nodes.size(); i++)
        if ((nodes[i]->is_output || keep_alive.count(nodes[i])) && planned(nodes[i])) last_use[i] = SIZE_MAX;
    // Outputs reached through views stay alive too.
    for (size_t i = 0; i < nodes.size(); i++)
        if (nodes[i]->is_output && nodes[i]->view_src) {
            if (const size_t* j = index.find(owner(nodes[i]))) last_use[*j] = SIZE_MAX;
        }

    // Free each node's range right after its last reader: group the frees by step.
    std::vector<std::vector<size_t>> frees_at(nodes.size());
    for (size_t i = 0; i < nodes.size(); i++)
        if (planned(nodes[i]) && last_use[i] != SIZE_MAX) frees_at[last_use[i]].push_back(i);

    MemoryPlan plan;
    plan.offsets.assign(nodes.size(), SIZE_MAX);
    FreeList fl;
    for (size_t i = 0; i < nodes.size(); i++) {
        if (planned(nodes[i])) plan.offsets[i] = fl.alloc(align_up(std::max<size_t>(nodes[i]->nbytes(), 1), alignment));
        // A node's sources are freed only after it has been allocated, so it never overlaps its inputs.
        for (size_t j : frees_at[i])
            fl.release(plan.offsets[j], align_up(std::max<size_t>(nodes[j]->nbytes(), 1), alignment));
    }
    plan.size = fl.peak();
    return plan;
}

MemoryPlan plan_memory(const Graph& graph, size_t alignment) { return plan_memory(graph.nodes, alignment); }

}  // namespace ggml
