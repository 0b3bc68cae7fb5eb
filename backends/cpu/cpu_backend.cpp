#include "backends/cpu/cpu_backend.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>

#include "backends/cpu/gemm.h"
#include "backends/cpu/ops/ops.h"
#include "backends/cpu/repack.h"
#include "ggml/graph.h"
#include "ggml/op_profile.h"
#include "ggml/threads.h"

namespace ggml {
namespace {

class HostBuffer : public Buffer {
public:
    HostBuffer(Backend& b, void* data, size_t size, bool owned, const char* layout = nullptr)
        : backend_(b), data_(data), size_(size), owned_(owned), layout_(layout) {}
    ~HostBuffer() override {
        if (owned_) std::free(data_);
    }
    Backend& backend() const override { return backend_; }
    void* base() const override { return data_; }
    size_t size() const override { return size_; }
    bool is_host() const override { return true; }
    const char* layout() const override { return layout_; }
    void upload(Tensor* t, const void* src, size_t offset, size_t n) override {
        std::memcpy(static_cast<char*>(t->data) + offset, src, n);
    }
    void download(const Tensor* t, void* dst, size_t offset, size_t n) const override {
        std::memcpy(dst, static_cast<const char*>(t->data) + offset, n);
    }

private:
    Backend& backend_;
    void* data_;
    size_t size_;
    bool owned_;
    const char* layout_;
};

bool is_float(Type t) { return t == Type::F32 || t == Type::F16 || t == Type::BF16; }

class CpuBackend : public Backend {
public:
    explicit CpuBackend(int n_threads) { set_n_threads(n_threads); }
    void set_n_threads(int n) override { ctx_.n_threads = n > 0 ? n : ggml::default_threads(); }

    std::unique_ptr<Buffer> wrap_host_memory(void* data, size_t size) override {
        return std::make_unique<HostBuffer>(*this, data, size, false);
    }

    // Interleaves the weights this CPU has a decode kernel for (backends/cpu/repack.h) into one new buffer.
    std::unique_ptr<Buffer> prepare_product_weights(const std::vector<Tensor*>& weights) override {
        std::vector<Tensor*> todo;
        for (Tensor* t : weights)
            if (t->n_dims() == 2 && cpu::repack_supported(t->type, t->ne[0], t->ne[1])) todo.push_back(t);
        if (todo.empty()) return nullptr;
        auto bytes_of = [&](const Tensor* t) {
            const size_t a = alignment();
            return (cpu::repacked_row_bytes(t->type, t->ne[0]) * size_t(t->ne[1]) + a - 1) / a * a;
        };
        size_t total = 0;
        for (const Tensor* t : todo) total += bytes_of(t);
        auto buf = std::make_unique<HostBuffer>(*this, host_alloc(total), total, true, cpu::kRepackedLayout);
        size_t offset = 0;
        for (Tensor* t : todo) {
            cpu::repack_tensor(t, static_cast<char*>(buf->base()) + offset, ctx_.n_threads);
            t->buffer = buf.get();
            offset += bytes_of(t);
        }
        return buf;
    }

    void order_nodes(std::vector<Tensor*>& nodes) const override { group_sibling_products(nodes); }

    std::string name() const override { return "CPU"; }

    std::unique_ptr<Buffer> alloc_buffer(size_t size) override {
        void* p = host_alloc(size);
        return std::make_unique<HostBuffer>(*this, p, size, true);
    }

    bool can_read(const Buffer& buf) const override { return buf.is_host(); }

    bool supports(const Tensor* n) const override {
        const Tensor* a = n->src[0];
        for (int i = 0; i < kMaxSrc; i++)
            if (n->src[i] && cpu::is_repacked(n->src[i]) && !(n->op == Op::MulMat && i == 0)) return false;
        switch (n->op) {
        case Op::None: case Op::View: case Op::Reshape: case Op::Permute: case Op::Transpose:
            return true;
        case Op::Cpy: case Op::Cont:
            // into a block type: rows converted whole (the KV cache's writes)
            if (is_float(a->type) && is_block_rows(n) && same_shape(a, n)) return true;
            return is_float(a->type) && is_float(n->type);
        case Op::Concat:
            return is_float(a->type) && is_float(n->type);
        case Op::GetRows:
            return type_traits(a->type).to_float != nullptr;
        case Op::MulMat:
            return cpu::gemm_supports_type(a->type);
        case Op::FlashAttn:
            return a->type == Type::F32 && (is_float(n->src[1]->type) || is_block_rows(n->src[1])) &&
                   (is_float(n->src[2]->type) || is_block_rows(n->src[2])) &&
                   (!n->src[3] || n->src[3]->type == Type::F32);
        default:
            return true;  // the remaining ops are f32-only and their builders check that
        }
    }

    void compute(const Graph& g) override {
        // For each node, the weights of the next weight product (a mul_mat whose a is not a view).
        std::vector<const Tensor*> next_weight(g.nodes.size(), nullptr);
        const Tensor* upcoming = nullptr;
        for (size_t i = g.nodes.size(); i-- > 0;) {
            next_weight[i] = upcoming;
            if (is_weight_product(g.nodes[i])) upcoming = g.nodes[i]->src[0];
        }
        for (size_t i = 0; i < g.nodes.size();) {
            Tensor* const* n = &g.nodes[i];
            // Siblings: weight products of the same activations, side by side, run as one.
            size_t count = 1;
            if (is_weight_product(n[0]))
                while (i + count < g.nodes.size() && is_weight_product(n[count]) && n[count]->src[1] == n[0]->src[1]) count++;
            ctx_.next_weight = next_weight[i + count - 1];
            const auto t0 = std::chrono::steady_clock::now();
            if (count > 1) cpu::op_mul_mat_siblings(n, int(count), ctx_);
            else run(n[0]);
            i += count;
            if (!profile_.enabled()) continue;
            // mul_mat by type of a, and for weights by shape (rows x k): each weight matrix's time apart;
            // siblings run as one are timed as one.
            std::string key;
            for (size_t j = 0; j < count; j++) {
                key += j ? " + " : op_name(n[j]->op);
                if (n[j]->op != Op::MulMat) continue;
                const Tensor* a = n[j]->src[0];
                key += std::string(j ? "" : " ") + type_name(a->type);
                if (!a->view_src) key += " " + std::to_string(a->ne[1]) + "x" + std::to_string(a->ne[0]);
            }
            profile_.add(key, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
    }

    void run(Tensor* n) {
        using namespace cpu;
        switch (n->op) {
        case Op::None: case Op::View: case Op::Reshape: case Op::Permute: case Op::Transpose: return;
        case Op::Cpy: case Op::Cont: op_cpy(n, ctx_); return;
        case Op::Concat: op_concat(n, ctx_); return;
        case Op::GetRows: op_get_rows(n, ctx_); return;
        case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: op_binary(n, ctx_); return;
        case Op::Scale: op_scale(n, ctx_); return;
        case Op::Sqr: op_sqr(n, ctx_); return;
        case Op::Sqrt: op_sqrt(n, ctx_); return;
        case Op::Clamp: op_clamp(n, ctx_); return;
        case Op::Unary: op_unary(n, ctx_); return;
        case Op::Glu: op_glu(n, ctx_); return;
        case Op::RmsNorm: op_rms_norm(n, ctx_); return;
        case Op::Norm: op_norm(n, ctx_); return;
        case Op::SoftMax: op_soft_max(n, ctx_); return;
        case Op::Rope: op_rope(n, ctx_); return;
        case Op::SumRows: case Op::Mean: op_sum_rows(n, ctx_); return;
        case Op::Argmax: op_argmax(n, ctx_); return;
        case Op::MulMat: op_mul_mat(n, ctx_); return;
        case Op::FlashAttn: op_flash_attn(n, ctx_); return;
        case Op::Count: break;
        }
        throw std::logic_error(std::string("cpu: op ") + op_name(n->op) + " not implemented");
    }

private:
    cpu::OpContext ctx_;
    OpProfile profile_{"cpu"};  // GIRAFFE_PROFILE=1: time per op kind, printed when the backend goes away
};

}  // namespace

void* host_alloc(size_t bytes) {
    bytes = std::max<size_t>(bytes, 1);
    // Large arrays (weights, KV cache, the bandwidth probe's buffer) on 2 MiB pages where the kernel
    // allows it: streaming reads then cross far fewer page boundaries, which the hardware prefetchers
    // do not cross and which each cost a TLB walk (Sapphire Rapids VM: 23.7 -> 33.3 GB/s read with two
    // threads, /tmp/scratch-style probe in the closing note of issue 4).
    constexpr size_t kHugePage = size_t(2) << 20;
    const size_t align = bytes >= 2 * kHugePage ? kHugePage : 64;
    void* p = std::aligned_alloc(align, (bytes + align - 1) / align * align);
    if (!p) throw std::bad_alloc();
#if defined(__linux__)
    if (align == kHugePage) madvise(p, (bytes + align - 1) / align * align, MADV_HUGEPAGE);  // a hint: failure is harmless
#endif
    return p;
}

std::unique_ptr<Backend> make_cpu_backend(int n_threads) { return std::make_unique<CpuBackend>(n_threads); }


}  // namespace ggml
