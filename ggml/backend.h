// The interface every compute device implements (CPU now; Vulkan and CUDA later). Nothing above it knows
// which device runs a node: the scheduler asks supports(), places data in the backend's buffers, and calls
// compute() on the pieces of the graph assigned to it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ggml/graph.h"

namespace ggml {

class Backend;

// A block of device memory. Tensors placed in it have data = base() + offset (for host buffers a real
// pointer; for device buffers an opaque address that only the backend dereferences).
struct Buffer {
    virtual ~Buffer() = default;
    // Graph inputs (tokens, positions, masks): small tensors the scheduler copies to wherever the nodes
    // reading them run. Other leaves (weights, the KV cache) draw the nodes that read them to their backend.
    bool holds_inputs = false;
    virtual Backend& backend() const = 0;
    virtual void* base() const = 0;
    virtual size_t size() const = 0;
    virtual bool is_host() const = 0;  // data pointers can be read by the CPU directly
    // The name of a backend's own arrangement of the bytes (the CPU's "repacked" weights), which only
    // that backend's kernels read; null for GGUF's layout.
    virtual const char* layout() const { return nullptr; }
    // Byte copies between host memory and t's storage, at byte offset `offset` within t.
    virtual void upload(Tensor* t, const void* src, size_t offset, size_t n) = 0;
    virtual void download(const Tensor* t, void* dst, size_t offset, size_t n) const = 0;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;
    virtual std::string description() const { return name(); }  // e.g. the GPU's name, for `giraffe info`
    virtual std::unique_ptr<Buffer> alloc_buffer(size_t size) = 0;
    virtual size_t alignment() const { return 64; }
    // Can this backend compute node (given its op, parameters and source types)?
    virtual bool supports(const Tensor* node) const = 0;
    // Computes graph.nodes in order. Every node and source already has data in a buffer this backend can
    // read (its own, or a host buffer when it shares memory with the host).
    virtual void compute(const Graph& graph) = 0;
    // Can this backend read tensors whose data lives in buf without a copy?
    virtual bool can_read(const Buffer& buf) const { return &buf.backend() == this; }
    virtual void set_n_threads(int /*n*/) {}  // host threads a compute may use (0: all cores)

    // ---- model loading hooks ----
    // A buffer spanning host memory the caller owns and keeps (an mmap'd GGUF file), so that weights are
    // read in place; null when this backend cannot read host memory (the caller then uploads).
    virtual std::unique_ptr<Buffer> wrap_host_memory(void* /*data*/, size_t /*size*/) { return nullptr; }
    // Weights placed on this backend that only mul_mat reads, as its first operand: the backend may move
    // them into a layout of its own (the CPU interleaves rows for decode), re-pointing each moved tensor at
    // the returned buffer. Returns null when it moved nothing.
    virtual std::unique_ptr<Buffer> prepare_product_weights(const std::vector<Tensor*>& /*weights*/) { return nullptr; }
    // Reorders a run of nodes assigned to this backend before it is planned and computed (every node must
    // still follow its sources): the CPU puts sibling weight products side by side to run them as one.
    virtual void order_nodes(std::vector<Tensor*>& /*nodes*/) const {}
};

// Places t at base + offset in buf (and gives views their data via their view_src).
void place_tensor(Tensor* t, Buffer* buf, size_t offset);
// Sets data for a view whose view_src has data.
void place_view(Tensor* t);
// Copies n bytes between host memory and t (through t's buffer).
void tensor_set(Tensor* t, const void* src, size_t n, size_t offset = 0);
void tensor_get(const Tensor* t, void* dst, size_t n, size_t offset = 0);
// Reads/writes a contiguous F32/F16/BF16/I32 tensor as floats (test and tool convenience).
void tensor_set_f32(Tensor* t, const float* src);
void tensor_get_f32(const Tensor* t, float* dst);

// Copies src's bytes into dst (same byte size, both contiguous or identically strided owners): straight
// from or into host memory when either side is host-readable, through a host copy only between two devices.
void tensor_copy(const Tensor* src, Tensor* dst);

}  // namespace ggml
