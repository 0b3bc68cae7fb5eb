// The interface every compute device implements (CPU now; Vulkan and CUDA later). Nothing above it knows
// which device runs a node: the scheduler asks supports(), places data in the backend's buffers, and calls
// compute() on the pieces of the graph assigned to it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ggml/graph.h"

namespace ggml {

class Backend;

// A block of device memory. Tensors placed in it have data = base() + offset (for host buffers a real
// pointer; for device buffers an opaque address that only the backend dereferences).
struct Buffer {
    virtual ~Buffer() = default;
    virtual Backend& backend() const = 0;
    virtual void* base() const = 0;
    virtual size_t size() const = 0;
    virtual bool is_host() const = 0;  // data pointers can be read by the CPU directly
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
    virtual size_t max_buffer_size() const { return SIZE_MAX; }  // the largest alloc_buffer() the device allows
    // Can this backend compute node (given its op, parameters and source types)?
    virtual bool supports(const Tensor* node) const = 0;
    // Computes graph.nodes in order. Every node and source already has data in a buffer this backend can
    // read (its own, or a host buffer when it shares memory with the host).
    virtual void compute(const Graph& graph) = 0;
    // Can this backend read tensors whose data lives in buf without a copy?
    virtual bool can_read(const Buffer& buf) const { return &buf.backend() == this; }
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

// A host buffer wrapping memory the caller owns (e.g. an mmap'd GGUF file): weights used in place.
std::unique_ptr<Buffer> wrap_host_memory(Backend& cpu, void* data, size_t size);

}  // namespace ggml
