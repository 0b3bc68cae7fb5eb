#include "backends/vulkan/recorder.h"

#include <algorithm>
#include <stdexcept>

#include "backends/vulkan/vk_buffer.h"

namespace ggml::vk {
namespace {

const VulkanBuffer& buffer_of(const Tensor* t) {
    const auto* b = dynamic_cast<const VulkanBuffer*>(t->buffer);
    if (!b) throw std::logic_error("vulkan: tensor '" + t->name + "' is not in Vulkan memory");
    return *b;
}

size_t aligned_start(const Device& d, size_t off) { return off / d.binding_alignment() * d.binding_alignment(); }

}  // namespace

bool fits_binding(const Device& d, const Tensor* t) {
    return t->nbytes() + d.binding_alignment() <= d.max_binding_range();
}

uint32_t Recorder::offset(const Tensor* t) const {
    const size_t off = buffer_of(t).byte_offset(t);
    return uint32_t(off - aligned_start(dev_, off));
}

TensorDesc Recorder::desc(const Tensor* t) const {
    TensorDesc d{};
    d.offset = offset(t);
    for (int i = 0; i < 4; i++) {
        d.ne[i] = uint32_t(t->ne[i]);
        d.nb[i] = uint32_t(t->nb[i]);
    }
    return d;
}

void Recorder::groups_1d(uint64_t n, uint32_t* gx, uint32_t* gy) const {
    const uint64_t max_x = dev_.max_groups(0);
    *gx = uint32_t(std::min<uint64_t>(std::max<uint64_t>(n, 1), max_x));
    *gy = uint32_t((n + *gx - 1) / *gx);
    if (*gy == 0) *gy = 1;
    if (*gy > dev_.max_groups(1)) throw std::runtime_error("vulkan: a dispatch of " + std::to_string(n) + " workgroups is too large");
}

void Recorder::dispatch(const std::string& shader, std::initializer_list<const Tensor*> srcs, const Tensor* dst,
                        const void* push, size_t push_bytes, uint32_t gx, uint32_t gy, uint32_t gz) {
    if (srcs.size() > kSrcBindings) throw std::logic_error("vulkan: too many sources for " + shader);
    if (push_bytes > kPushBytes) throw std::logic_error("vulkan: push constants of " + shader + " exceed 128 bytes");
    VkPipeline pipe = dev_.pipeline(shader);
    dev_.begin();
    VkDescriptorSet set = dev_.descriptor_set();
    VkDescriptorBufferInfo info[kSrcBindings + 1];
    VkWriteDescriptorSet w[kSrcBindings + 1];
    auto bind = [&](uint32_t slot, const Tensor* t) {
        info[slot] = {dev_.dummy(), 0, VK_WHOLE_SIZE};
        if (t) {
            const VulkanBuffer& b = buffer_of(t);
            const size_t off = b.byte_offset(t), start = aligned_start(dev_, off);
            const size_t range = std::min(b.allocation().size - start, dev_.max_binding_range() / 4 * 4);
            if (off - start + t->nbytes() > range)
                throw std::logic_error("vulkan: " + t->name + " " + shape_str(t) + " does not fit one binding of " + shader);
            info[slot] = {b.allocation().buffer, start, range};
        }
        w[slot] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
        w[slot].dstSet = set;
        w[slot].dstBinding = slot;
        w[slot].descriptorCount = 1;
        w[slot].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        w[slot].pBufferInfo = &info[slot];
    };
    uint32_t slot = 0;
    for (const Tensor* t : srcs) bind(slot++, t);
    for (; slot < kSrcBindings; slot++) bind(slot, nullptr);
    bind(kDstBinding, dst);
    vkUpdateDescriptorSets(dev_.handle(), kSrcBindings + 1, w, 0, nullptr);

    VkCommandBuffer cmd = dev_.cmd();
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, dev_.pipeline_layout(), 0, 1, &set, 0, nullptr);
    if (push_bytes) vkCmdPushConstants(cmd, dev_.pipeline_layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, uint32_t(push_bytes), push);
    vkCmdDispatch(cmd, gx, gy, gz);
    VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb, 0,
                         nullptr, 0, nullptr);
}

Tensor slice(const Tensor* t, int dim, int64_t first, int64_t count) {
    Tensor s = *t;
    s.ne[dim] = count;
    s.data = static_cast<char*>(t->data) + size_t(first) * t->nb[dim];
    s.view_src = nullptr;
    s.op = Op::None;
    return s;
}

}  // namespace ggml::vk
