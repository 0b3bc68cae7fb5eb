// One Vulkan device and what every compute on it needs: the queue, memory types, the pipelines built from
// the embedded SPIR-V, descriptor sets, and one command buffer with its fence. Everything is synchronous:
// a compute or a transfer is submitted and waited for before the call returns.
#pragma once
#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ggml::vk {

// What `giraffe info` shows of a device.
struct DeviceInfo {
    int index = 0;
    std::string name;
    std::string kind;         // "discrete GPU", "integrated GPU", "CPU (software)", ...
    uint64_t memory = 0;      // bytes of the largest device-local heap
    uint32_t api_version = 0;
};

// The devices of this machine's Vulkan drivers; empty with *why set when there is no loader or driver.
std::vector<DeviceInfo> list_devices(std::string* why = nullptr);

// Descriptor bindings every shader declares: sources 0..kSrcBindings-1, the destination at kDstBinding.
constexpr uint32_t kSrcBindings = 4;
constexpr uint32_t kDstBinding = kSrcBindings;
constexpr uint32_t kPushBytes = 128;  // the smallest maxPushConstantsSize Vulkan guarantees

// A device allocation: a buffer with its memory, mapped when the memory is host-visible.
struct Allocation {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    size_t size = 0;
    void* mapped = nullptr;
};

class Device {
public:
    explicit Device(int index);
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    const DeviceInfo& info() const { return info_; }
    size_t max_binding_range() const { return max_range_; }
    size_t binding_alignment() const { return binding_align_; }
    uint32_t max_groups(int dim) const { return max_groups_[dim]; }

    // Device memory (host-visible too when the device shares memory with the host, as integrated GPUs
    // and lavapipe do); throws std::bad_alloc when the device is out of memory.
    Allocation allocate(size_t size);
    void release(Allocation& a);
    // Byte copies between host memory and an allocation (through a staging buffer when it is not mapped).
    void write(const Allocation& a, size_t offset, const void* src, size_t n);
    void read(const Allocation& a, size_t offset, void* dst, size_t n);

    // Recording of compute work: begin(), then per dispatch a descriptor set from descriptor_set() and
    // commands on cmd(), then finish() submits and waits. descriptor_set() may itself submit the work
    // recorded so far when its pool runs dry.
    void begin();
    VkCommandBuffer cmd() const { return cmd_; }
    VkDescriptorSet descriptor_set();
    void finish();
    VkPipeline pipeline(const std::string& shader);  // built on first use from the embedded SPIR-V
    VkPipelineLayout pipeline_layout() const { return layout_; }
    VkDevice handle() const { return device_; }
    VkBuffer dummy() const { return dummy_.buffer; }  // bound to the bindings a shader leaves unused

private:
    void submit_and_wait();
    Allocation allocate_host_staging();
    void copy(VkBuffer src, size_t src_off, VkBuffer dst, size_t dst_off, size_t n);
    uint32_t memory_type(uint32_t bits, VkMemoryPropertyFlags want, VkMemoryPropertyFlags avoid, bool* ok) const;

    DeviceInfo info_;
    VkInstance instance_ = VK_NULL_HANDLE;
    VkPhysicalDevice phys_ = VK_NULL_HANDLE;
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    uint32_t queue_family_ = 0;
    VkPhysicalDeviceMemoryProperties mem_props_{};
    VkCommandPool pool_ = VK_NULL_HANDLE;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
    VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
    VkPipelineLayout layout_ = VK_NULL_HANDLE;
    VkDescriptorPool desc_pool_ = VK_NULL_HANDLE;
    uint32_t sets_left_ = 0;
    bool recording_ = false;
    std::unordered_map<std::string, VkPipeline> pipelines_;
    Allocation dummy_, staging_;
    size_t max_range_ = 0, binding_align_ = 16, max_alloc_ = 0;
    uint32_t max_groups_[3] = {65535, 65535, 65535};
};

// The embedded SPIR-V of a shader (name: the .comp file's stem, plus "_<type>" for typed variants).
struct Spirv {
    const uint32_t* words;
    size_t bytes;
};
bool find_spirv(const std::string& name, Spirv* out);

}  // namespace ggml::vk
