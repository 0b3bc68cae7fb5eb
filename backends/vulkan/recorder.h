// What an op's host code uses to run its shader: tensor descriptors for push constants, and dispatches that
// bind the op's tensors. Each op file (backends/vulkan/ops/<op>.cpp) turns one graph node into dispatches.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>

#include "backends/vulkan/vk_device.h"
#include "ggml/tensor.h"

namespace ggml::vk {

// A tensor as a shader sees it (mirrors `Tensor` in shaders/common.glsl): where it starts within its
// binding, in bytes, then its sizes and byte strides.
struct TensorDesc {
    uint32_t offset;
    uint32_t ne[4];
    uint32_t nb[4];
};

class Recorder {
public:
    explicit Recorder(Device& d) : dev_(d) {}
    Device& device() { return dev_; }

    // t's descriptor, valid for a dispatch that binds t (or a tensor starting at the same byte).
    TensorDesc desc(const Tensor* t) const;
    // Byte offset of t's first element within the binding a dispatch gives it.
    uint32_t offset(const Tensor* t) const;

    // Records shader over (gx, gy, gz) workgroups: srcs bound to bindings 0.. in order (null: left unbound),
    // dst to the destination binding, push as the push constants; then a barrier, so the next dispatch
    // sees what this one wrote.
    void dispatch(const std::string& shader, std::initializer_list<const Tensor*> srcs, const Tensor* dst,
                  const void* push, size_t push_bytes, uint32_t gx, uint32_t gy = 1, uint32_t gz = 1);
    template <class Push>
    void dispatch(const std::string& shader, std::initializer_list<const Tensor*> srcs, const Tensor* dst,
                  const Push& push, uint32_t gx, uint32_t gy = 1, uint32_t gz = 1) {
        static_assert(sizeof(Push) <= kPushBytes, "push constants are limited to 128 bytes");
        dispatch(shader, srcs, dst, &push, sizeof(Push), gx, gy, gz);
    }

    // One dispatch over ceil(items / per_group) workgroups spread by groups_1d: per_group invocations per
    // item for the element-wise shaders (their local size), one workgroup per item (row) for the row-wise ones.
    template <class Push>
    void dispatch_linear(const std::string& shader, std::initializer_list<const Tensor*> srcs, const Tensor* dst,
                         const Push& push, uint64_t items, uint32_t per_group = 1) {
        uint32_t gx, gy;
        groups_1d((items + per_group - 1) / per_group, &gx, &gy);
        dispatch(shader, srcs, dst, push, gx, gy);
    }

    // n workgroups spread over x and y within the device's limits (shaders take the linear index
    // gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x and skip past n).
    void groups_1d(uint64_t n, uint32_t* gx, uint32_t* gy) const;

private:
    Device& dev_;
};

// Whether a shader can reach all of t's bytes through one binding (maxStorageBufferRange).
bool fits_binding(const Device& d, const Tensor* t);
// A copy of t's header (not a graph node) that starts `rows` rows of dimension `dim` later and has `count`
// of them: lets an op split a tensor too large for one binding into dispatches over pieces.
Tensor slice(const Tensor* t, int dim, int64_t first, int64_t count);

}  // namespace ggml::vk
