// Runs one op case on a list of backends and compares with the reference.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <exception>
#include <sstream>

#include "ggml/alloc.h"
#include "ggml/graph.h"
#include "ggml/sched.h"
#include "ops/op_cases.h"

namespace optest {

uint64_t Rng::next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
double Rng::uniform(double lo, double hi) { return lo + (hi - lo) * double(next() >> 11) * 0x1.0p-53; }
int64_t Rng::integer(int64_t lo, int64_t hi) { return lo + int64_t(next() % uint64_t(hi - lo + 1)); }

// ---- layout on both sides ----

Arg Layout::view(const Arg& a, std::initializer_list<int64_t> ne_, std::initializer_list<size_t> nb_, size_t offset) {
    int64_t ne[4] = {1, 1, 1, 1};
    size_t nb[3] = {0, 0, 0};
    int i = 0;
    for (int64_t v : ne_) ne[i++] = v;
    const int dims = i;
    i = 0;
    for (size_t v : nb_) nb[i++] = v;
    // Fill unused strides the way the library's view_Nd does: packed after the last given one.
    for (int d = std::max(dims - 1, 0); d < 3; d++)
        if (nb[d] == 0) nb[d] = d == 0 ? ref::type_size(a.r.type) * size_t(ne[0]) : nb[d - 1] * size_t(ne[d]);
    Arg r;
    r.leaf = a.leaf;
    r.r = ref::view(a.r, ne, nb[0], nb[1], nb[2], offset);
    switch (dims) {
    case 1: r.t = ggml::view_1d(ctx, a.t, ne[0], offset); break;
    case 2: r.t = ggml::view_2d(ctx, a.t, ne[0], ne[1], nb[0], offset); break;
    case 3: r.t = ggml::view_3d(ctx, a.t, ne[0], ne[1], ne[2], nb[0], nb[1], offset); break;
    default: r.t = ggml::view_4d(ctx, a.t, ne[0], ne[1], ne[2], ne[3], nb[0], nb[1], nb[2], offset); break;
    }
    return r;
}

Arg Layout::permute(const Arg& a, int ax0, int ax1, int ax2, int ax3) {
    return {ggml::permute(ctx, a.t, ax0, ax1, ax2, ax3), ref::permute(a.r, ax0, ax1, ax2, ax3), a.leaf};
}
Arg Layout::transpose(const Arg& a) { return {ggml::transpose(ctx, a.t), ref::transpose(a.r), a.leaf}; }
Arg Layout::reshape(const Arg& a, std::initializer_list<int64_t> ne_) {
    int64_t ne[4] = {1, 1, 1, 1};
    int i = 0;
    for (int64_t v : ne_) ne[i++] = v;
    return {ggml::reshape(ctx, a.t, ne_), ref::reshape(a.r, ne), a.leaf};
}

// ---- running ----

namespace {

uint64_t name_seed(const std::string& s) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
    return h;
}

std::string shape(const int64_t ne[4]) {
    std::ostringstream s;
    s << "[" << ne[0] << ", " << ne[1] << ", " << ne[2] << ", " << ne[3] << "]";
    return s.str();
}

std::string index_str(int64_t flat, const int64_t ne[4]) {
    int64_t i[4];
    for (int d = 0; d < 4; d++) {
        i[d] = flat % ne[d];
        flat /= ne[d];
    }
    std::ostringstream s;
    s << "(" << i[0] << ", " << i[1] << ", " << i[2] << ", " << i[3] << ")";
    return s.str();
}

// Compares got with want; fills msg and returns false on a mismatch.
bool compare(const std::vector<double>& got, const ref::Result& want, const Tolerance& tol, std::string* msg) {
    double max_ref = 0;
    for (double v : want.v)
        if (std::isfinite(v)) max_ref = std::max(max_ref, std::fabs(v));
    const double scale = max_ref > 0 ? max_ref : 1.0;
    double worst_ratio = 0, max_err = 0;
    int64_t worst = -1, n_bad = 0;
    for (size_t i = 0; i < got.size(); i++) {
        const double g = got[i], w = want.v[i];
        double err, allowed = tol.norm * scale + tol.rel * std::fabs(w);
        if (std::isnan(w)) {
            err = std::isnan(g) ? 0 : HUGE_VAL;
        } else if (std::isinf(w)) {
            err = g == w ? 0 : HUGE_VAL;
        } else {
            err = std::isfinite(g) ? std::fabs(g - w) : HUGE_VAL;
        }
        if (std::isfinite(w)) max_err = std::max(max_err, err);
        const bool bad = err > allowed;
        if (bad) n_bad++;
        const double ratio = err == 0 ? 0 : (allowed > 0 ? err / allowed : HUGE_VAL);
        if (worst < 0 || ratio > worst_ratio) {
            worst_ratio = ratio;
            worst = int64_t(i);
        }
    }
    if (n_bad == 0) return true;
    std::ostringstream s;
    s.precision(9);
    s << n_bad << " of " << got.size() << " elements out of tolerance (norm " << tol.norm << ", rel " << tol.rel
      << "); max |err| / max |ref| = " << max_err / scale << "; worst at " << index_str(worst, want.ne)
      << ": got " << got[size_t(worst)] << ", expected " << want.v[size_t(worst)];
    *msg = s.str();
    return false;
}

bool same_layout(const ggml::Tensor* t, const ref::Tensor& r, const uint8_t* leaf_base, std::string* msg) {
    bool ok = t->type == r.type;
    for (int i = 0; i < 4; i++) ok = ok && t->ne[i] == r.ne[i] && t->nb[i] == r.nb[i];
    const size_t ref_offset = size_t(r.data - leaf_base);
    ok = ok && (t->view_src ? t->view_offset : 0) == ref_offset;
    if (ok) return true;
    std::ostringstream s;
    s << "layout mismatch: library " << shape(t->ne) << " nb [" << t->nb[0] << ", " << t->nb[1] << ", " << t->nb[2]
      << ", " << t->nb[3] << "] offset " << t->view_offset << " vs reference " << shape(r.ne) << " nb [" << r.nb[0]
      << ", " << r.nb[1] << ", " << r.nb[2] << ", " << r.nb[3] << "] offset " << ref_offset;
    *msg = s.str();
    return false;
}

}  // namespace

Outcome run_case(const OpCase& c, const std::vector<ggml::Backend*>& backends) {
    Outcome out;
    Rng rng(name_seed(c.name));

    // Leaves: host bytes, library tensors, reference views.
    ggml::Context ctx;
    std::vector<std::vector<uint8_t>> bytes(c.inputs.size());
    std::vector<Arg> leaves;
    for (size_t li = 0; li < c.inputs.size(); li++) {
        const InputSpec& in = c.inputs[li];
        const size_t es = ref::type_size(in.type);
        bytes[li].resize(size_t(in.ne[0] * in.ne[1] * in.ne[2] * in.ne[3]) * es);
        size_t k = 0;
        for (int64_t i3 = 0; i3 < in.ne[3]; i3++)
            for (int64_t i2 = 0; i2 < in.ne[2]; i2++)
                for (int64_t i1 = 0; i1 < in.ne[1]; i1++)
                    for (int64_t i0 = 0; i0 < in.ne[0]; i0++) {
                        const int64_t idx[4] = {i0, i1, i2, i3};
                        const double v = in.values.empty() ? in.gen(idx, rng) : in.values[k % in.values.size()];
                        ref::encode(in.type, v, bytes[li].data() + es * k++);
                    }
        Arg a;
        a.t = ctx.new_tensor(in.type, {in.ne[0], in.ne[1], in.ne[2], in.ne[3]});
        a.t->name = "in" + std::to_string(li);
        a.r = ref::leaf(in.type, in.ne, bytes[li].data());
        a.leaf = int(li);
        leaves.push_back(a);
    }

    ggml::Tensor* node = nullptr;
    std::vector<Arg> args;
    try {
        Layout lay{ctx};
        args = c.args ? c.args(lay, leaves) : leaves;
        for (const Arg& a : args) {
            if (!a.t) continue;
            if (!same_layout(a.t, a.r, bytes[size_t(a.leaf)].data(), &out.message)) return out;
        }
        std::vector<ggml::Tensor*> ts;
        for (const Arg& a : args) ts.push_back(a.t);
        node = c.build(ctx, ts);
    } catch (const std::exception& e) {
        out.message = std::string("building the graph threw: ") + e.what();
        return out;
    }

    ref::Result want;
    {
        std::vector<ref::Tensor> rs;
        for (const Arg& a : args) rs.push_back(a.r);
        want = c.reference(rs);
    }

    ggml::Tensor* target = c.read_leaf >= 0 ? leaves[size_t(c.read_leaf)].t : node;
    std::unique_ptr<ggml::Buffer> buf;
    std::unique_ptr<ggml::Scheduler> sched;  // owns the compute buffer holding the result: keep it to the end
    try {
        ggml::Graph g = ggml::build_graph({node});
        buf = ggml::alloc_ctx_tensors(*backends.front(), ctx);
        for (size_t li = 0; li < leaves.size(); li++)
            ggml::tensor_set(leaves[li].t, bytes[li].data(), bytes[li].size());
        sched = std::make_unique<ggml::Scheduler>(backends);
        sched->compute(g);
        if (ggml::Backend* b = sched->backend_of(node)) out.ran_on = b->name();
    } catch (const std::exception& e) {
        out.message = std::string("compute threw: ") + e.what();
        return out;
    }

    // Shape and type of what we read.
    if (target->type != want.type) {
        out.message = std::string("result type ") + ggml::type_name(target->type) + ", expected " +
                      ggml::type_name(want.type);
        return out;
    }
    for (int i = 0; i < 4; i++)
        if (target->ne[i] != want.ne[i]) {
            out.message = "result shape " + shape(target->ne) + ", expected " + shape(want.ne);
            return out;
        }
    if (!target->is_contiguous()) {
        out.message = "result is not contiguous";
        return out;
    }

    const size_t es = ref::type_size(target->type);
    std::vector<uint8_t> raw(size_t(target->nelements()) * es);
    ggml::tensor_get(target, raw.data(), raw.size());
    std::vector<double> got(size_t(target->nelements()));
    for (size_t i = 0; i < got.size(); i++) got[i] = ref::decode(target->type, raw.data() + i * es);

    if (!compare(got, want, c.tol, &out.message)) return out;

    // Inputs must be left as they were (except the leaf a cpy writes).
    for (size_t li = 0; li < leaves.size(); li++) {
        if (int(li) == c.read_leaf) continue;
        std::vector<uint8_t> back(bytes[li].size());
        ggml::tensor_get(leaves[li].t, back.data(), back.size());
        if (back != bytes[li]) {
            out.message = "input " + std::to_string(li) + " was modified by the op";
            return out;
        }
    }
    out.ok = true;
    return out;
}

void check_op_table(const std::vector<ggml::Backend*>& backends, const std::string& filter, bool require_first) {
    for (const OpCase& c : op_cases()) {
        if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
        DYNAMIC_SECTION(c.name) {
            const Outcome r = run_case(c, backends);
            INFO("case " << c.name << " on " << backends.front()->name() << ": " << r.message);
            CHECK(r.ok);
            if (r.ok && require_first && !c.cpu_only) {
                INFO("ran on " << r.ran_on);
                CHECK(r.ran_on == backends.front()->name());
            }
        }
    }
}

}  // namespace optest
