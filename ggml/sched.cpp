#include "ggml/sched.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <unordered_map>

#include "ggml/ptr_map.h"

namespace ggml {
namespace {

bool is_layout(Op op) { return op == Op::View || op == Op::Reshape || op == Op::Permute || op == Op::Transpose; }
Tensor* owner(Tensor* t) { return t->view_src ? t->view_src : t; }

// A run of consecutive computed nodes on one backend, with the tensors it needs copied in first.
struct Split {
    Backend* backend = nullptr;
    std::vector<Tensor*> nodes;
    std::vector<std::pair<Tensor*, Tensor*>> copies;  // (source owner elsewhere, its copy here)
};

// What makes two graphs plan identically: ops, types, shapes, strides, parameters and wiring. Not where
// views start (views get no bytes of their own and are placed afresh on every run): decode's writes into
// the KV cache move one cell per token, and the plan still holds.
std::vector<int64_t> signature(const Graph& g) {
    PtrMap<int64_t> id(g.leafs.size() + g.nodes.size());
    for (size_t i = 0; i < g.leafs.size(); i++) id[g.leafs[i]] = -int64_t(i) - 2;
    for (size_t i = 0; i < g.nodes.size(); i++) id[g.nodes[i]] = int64_t(i);
    auto id_of = [&](const Tensor* t) -> int64_t {
        if (!t) return -1;
        const int64_t* v = id.find(t);
        if (!v) throw std::logic_error("scheduler: a source outside the graph");
        return *v;
    };
    // Written through a pointer into a presized vector: ~700 nodes x 32 values per decoded token.
    constexpr size_t kPerNode = 3 + 8 + kMaxParams + kMaxSrc + 2;
    std::vector<int64_t> s(g.nodes.size() * kPerNode + g.leafs.size());
    int64_t* o = s.data();
    for (const Tensor* n : g.nodes) {
        *o++ = int64_t(n->op);
        *o++ = int64_t(n->type);
        *o++ = n->is_output;
        for (int i = 0; i < 4; i++) *o++ = n->ne[i], *o++ = int64_t(n->nb[i]);
        for (int32_t p : n->params) *o++ = p;
        for (const Tensor* x : n->src) *o++ = id_of(x);
        *o++ = id_of(n->view_src);
        *o++ = n->data != nullptr;
    }
    for (const Tensor* l : g.leafs) *o++ = int64_t(l->nbytes());
    return s;
}

}  // namespace

struct Scheduler::Impl {
    std::vector<Backend*> backends;
    PtrMap<Backend*> assigned;
    std::vector<Split> splits;
    std::unique_ptr<Context> copies_ctx;

    std::vector<int64_t> plan_sig;
    std::unordered_map<Backend*, MemoryPlan> plans;
    std::unordered_map<Backend*, std::unique_ptr<Buffer>> buffers;
    int n_plans = 0;
    const Graph* last = nullptr;  // the graph of the last successful compute()
    size_t last_nodes = 0;

    Backend* backend_of_data(const Tensor* t) const {
        const Tensor* o = t->view_src ? t->view_src : t;
        if (o->buffer) return &o->buffer->backend();
        Backend* const* b = assigned.find(o);
        return b ? *b : nullptr;
    }

    void assign(const Graph& g) {
        assigned.clear();
        Backend* prev = nullptr;
        for (Tensor* n : g.nodes) {
            if (is_layout(n->op)) {  // no compute: lives where its bytes live
                assigned[n] = backend_of_data(n);
                continue;
            }
            Backend* pick = nullptr;
            // The weights decide: a node reading a tensor stored on a backend runs there if it can.
            for (Tensor* s : n->src) {
                if (!s || pick) continue;
                Tensor* o = owner(s);
                if (o->op == Op::None && o->buffer && !o->buffer->holds_inputs && o->buffer->backend().supports(n))
                    pick = &o->buffer->backend();
            }
            if (!pick && prev && prev->supports(n)) pick = prev;
            for (Backend* b : backends)
                if (!pick && b->supports(n)) pick = b;
            if (!pick) throw std::runtime_error(std::string("no backend supports op ") + op_name(n->op) + " on " +
                                                shape_str(n));
            // A copy writes into its destination's bytes: it must run where they live.
            if (n->op == Op::Cpy) {
                Backend* dst_b = backend_of_data(n->src[1]);
                if (dst_b && dst_b != pick) {
                    if (!dst_b->supports(n))
                        throw std::runtime_error("cpy into " + shape_str(n->src[1]) + " unsupported where it lives");
                    pick = dst_b;
                }
            }
            assigned[n] = pick;
            prev = pick;
        }
    }

    // Cuts the computed nodes into splits and makes, for each, copies of what it reads from elsewhere.
    void split(const Graph& g) {
        splits.clear();
        copies_ctx = std::make_unique<Context>();
        for (Tensor* n : g.nodes) {
            if (is_layout(n->op)) continue;
            Backend* b = *assigned.find(n);  // every computed node was assigned
            if (splits.empty() || splits.back().backend != b) splits.push_back(Split{b, {}, {}});
            splits.back().nodes.push_back(n);
        }
        for (Split& sp : splits) sp.backend->order_nodes(sp.nodes);
        for (Split& sp : splits) {
            std::unordered_map<Tensor*, Tensor*> copy_of;  // owner elsewhere -> copy in this split
            for (Tensor* n : sp.nodes) {
                for (int i = 0; i < kMaxSrc; i++) {
                    Tensor* s = n->src[i];
                    if (!s || readable(sp.backend, s)) continue;
                    if (n->op == Op::Cpy && i == 1) continue;  // the destination lives here already
                    Tensor* o = owner(s);
                    Tensor*& c = copy_of[o];
                    if (!c) {
                        c = copies_ctx->new_tensor(o->type, 4, o->ne);
                        for (int d = 0; d < 4; d++) c->nb[d] = o->nb[d];
                        c->name = o->name + "#copy";
                        sp.copies.emplace_back(o, c);
                    }
                    if (s == o) continue;
                    // Re-create the view on the copy.
                    Tensor* v = copies_ctx->new_tensor(s->type, 4, s->ne);
                    for (int d = 0; d < 4; d++) v->nb[d] = s->nb[d];
                    v->op = Op::View;
                    v->view_src = c;
                    v->view_offset = s->view_offset;
                    view_clones.emplace_back(s, v, sp.backend);
                }
            }
        }
    }

    bool readable(Backend* b, Tensor* s) const {
        const Tensor* o = s->view_src ? s->view_src : s;
        if (o->buffer) return b->can_read(*o->buffer);
        return backend_of_data(o) == b;
    }

    struct ViewClone {
        Tensor* original;
        Tensor* clone;
        Backend* backend;
        ViewClone(Tensor* o, Tensor* c, Backend* b) : original(o), clone(c), backend(b) {}
    };
    std::vector<ViewClone> view_clones;

    // Swaps sources of each split's nodes to their copies (undone by restore()).
    std::vector<std::pair<Tensor**, Tensor*>> swapped;
    void swap_sources() {
        for (Split& sp : splits) {
            std::unordered_map<Tensor*, Tensor*> repl;
            for (auto& [o, c] : sp.copies) repl[o] = c;
            for (ViewClone& v : view_clones)
                if (v.backend == sp.backend) repl.emplace(v.original, v.clone);
            if (repl.empty()) continue;
            for (Tensor* n : sp.nodes)
                for (int i = 0; i < kMaxSrc; i++) {
                    if (n->op == Op::Cpy && i == 1) continue;
                    auto it = n->src[i] ? repl.find(n->src[i]) : repl.end();
                    if (it == repl.end()) continue;
                    swapped.emplace_back(&n->src[i], n->src[i]);
                    n->src[i] = it->second;
                }
        }
    }
    void restore() {
        for (auto it = swapped.rbegin(); it != swapped.rend(); ++it) *it->first = it->second;
        swapped.clear();
        view_clones.clear();
    }

    // Per backend: its copies and computed nodes in execution order (what its compute buffer holds).
    std::unordered_map<Backend*, std::vector<Tensor*>> per_backend_nodes() const {
        std::unordered_map<Backend*, std::vector<Tensor*>> m;
        for (const Split& sp : splits) {
            std::vector<Tensor*>& v = m[sp.backend];
            for (auto& pc : sp.copies) v.push_back(pc.second);
            v.insert(v.end(), sp.nodes.begin(), sp.nodes.end());
        }
        return m;
    }

    void plan_and_place(const Graph& g, std::vector<int64_t> sig) {
        auto lists = per_backend_nodes();
        // Nodes read by another backend's split must survive until that split copies them.
        std::unordered_set<const Tensor*> keep;
        for (const Split& sp : splits)
            for (auto& pc : sp.copies) keep.insert(pc.first);

        if (sig != plan_sig || plans.empty()) {
            plans.clear();
            for (auto& [b, nodes] : lists) {
                MemoryPlan p = plan_memory(nodes, b->alignment(), keep);
                std::unique_ptr<Buffer>& buf = buffers[b];
                if (!buf || buf->size() < p.size) buf = b->alloc_buffer(std::max<size_t>(p.size, 1));
                plans[b] = std::move(p);
            }
            plan_sig = std::move(sig);
            n_plans++;
        }
        for (auto& [b, nodes] : lists) {
            const MemoryPlan& p = plans.at(b);
            for (size_t i = 0; i < nodes.size(); i++)
                if (p.offsets[i] != SIZE_MAX) place_tensor(nodes[i], buffers.at(b).get(), p.offsets[i]);
        }
        for (Tensor* n : g.nodes)
            if (n->view_src) place_view(n);
        for (ViewClone& v : view_clones) place_view(v.clone);
    }

    void run() {
        for (Split& sp : splits) {
            for (auto& [o, c] : sp.copies) tensor_copy(o, c);
            Graph part;
            part.nodes = sp.nodes;
            sp.backend->compute(part);
        }
    }
};

Scheduler::Scheduler(std::vector<Backend*> backends) : impl_(std::make_unique<Impl>()) {
    if (backends.empty()) throw std::invalid_argument("Scheduler: no backends");
    impl_->backends = std::move(backends);
}
Scheduler::~Scheduler() = default;

void Scheduler::compute(Graph& graph) {
    Impl& s = *impl_;
    s.last = nullptr;  // its splits are about to be replaced
    // Forget placements from an earlier run of this graph: they are planned again (or reused) below.
    for (Tensor* n : graph.nodes)
        for (auto& [b, buf] : s.buffers)
            if (n->buffer == buf.get()) n->buffer = nullptr, n->data = nullptr;
    for (Tensor* l : graph.leafs)
        if (!l->data) throw std::runtime_error("input tensor '" + l->name + "' " + shape_str(l) + " has no data");
    std::vector<int64_t> sig = signature(graph);
    s.assign(graph);
    s.split(graph);
    s.swap_sources();
    try {
        s.plan_and_place(graph, std::move(sig));
        s.run();
    } catch (...) {
        s.restore();
        throw;
    }
    s.restore();
    s.last = &graph, s.last_nodes = graph.nodes.size();
}

void Scheduler::compute_again(Graph& graph) {
    Impl& s = *impl_;
    if (&graph != s.last || graph.nodes.size() != s.last_nodes || s.splits.size() != 1 || !s.splits[0].copies.empty())
        return compute(graph);
    // The nodes keep their places in the compute buffer; views are placed again (offsets may have moved).
    for (Tensor* n : graph.nodes)
        if (n->view_src) place_view(n);
    try {
        s.run();
    } catch (...) {
        s.last = nullptr;
        throw;
    }
}

Backend* Scheduler::backend_of(const Tensor* node) const {
    Backend* const* b = impl_->assigned.find(node);
    return b ? *b : nullptr;
}
int Scheduler::n_splits() const { return int(impl_->splits.size()); }
size_t Scheduler::compute_buffer_size(const Backend* b) const {
    for (auto& [k, buf] : impl_->buffers)
        if (k == b && buf) return buf->size();
    return 0;
}
int Scheduler::n_plans() const { return impl_->n_plans; }

}  // namespace ggml
