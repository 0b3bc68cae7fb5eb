// Device memory as a ggml Buffer. Tensors in it carry data = base() + byte offset, where base() is an
// address no host code may dereference: only the Vulkan backend turns it back into an offset.
#pragma once
#include "backends/vulkan/vk_device.h"
#include "ggml/backend.h"

namespace ggml::vk {

class VulkanBuffer : public Buffer {
public:
    VulkanBuffer(Backend& b, Device& d, size_t size) : backend_(b), dev_(d), alloc_(d.allocate(size)), size_(size) {}
    ~VulkanBuffer() override { dev_.release(alloc_); }
    Backend& backend() const override { return backend_; }
    void* base() const override { return reinterpret_cast<void*>(kBase); }
    size_t size() const override { return size_; }
    bool is_host() const override { return false; }
    void upload(Tensor* t, const void* src, size_t offset, size_t n) override { dev_.write(alloc_, byte_offset(t) + offset, src, n); }
    void download(const Tensor* t, void* dst, size_t offset, size_t n) const override {
        dev_.read(alloc_, byte_offset(t) + offset, dst, n);
    }
    const Allocation& allocation() const { return alloc_; }
    size_t byte_offset(const Tensor* t) const { return size_t(static_cast<const char*>(t->data) - static_cast<const char*>(base())); }

private:
    static constexpr uintptr_t kBase = uintptr_t(1) << 44;
    Backend& backend_;
    Device& dev_;
    Allocation alloc_;
    size_t size_;
};

}  // namespace ggml::vk
