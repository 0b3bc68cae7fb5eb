#include "backends/vulkan/vk_device.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

namespace ggml::vk {
namespace {

constexpr uint32_t kSetsPerPool = 1024;
constexpr size_t kStagingBytes = size_t(32) << 20;

void check(VkResult r, const char* what) {
    if (r == VK_SUCCESS) return;
    if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY) throw std::bad_alloc();
    throw std::runtime_error(std::string("vulkan: ") + what + " failed (VkResult " + std::to_string(int(r)) + ")");
}

VkInstance make_instance(std::string* why) {
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "giraffe";
    app.apiVersion = VK_API_VERSION_1_1;
    VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    ci.pApplicationInfo = &app;
    VkInstance inst = VK_NULL_HANDLE;
    const VkResult r = vkCreateInstance(&ci, nullptr, &inst);
    if (r != VK_SUCCESS) {
        if (why) *why = r == VK_ERROR_INCOMPATIBLE_DRIVER ? "no Vulkan driver is installed"
                                                          : "the Vulkan loader failed (VkResult " + std::to_string(int(r)) + ")";
        return VK_NULL_HANDLE;
    }
    return inst;
}

std::vector<VkPhysicalDevice> physical_devices(VkInstance inst) {
    uint32_t n = 0;
    vkEnumeratePhysicalDevices(inst, &n, nullptr);
    std::vector<VkPhysicalDevice> v(n);
    if (n) vkEnumeratePhysicalDevices(inst, &n, v.data());
    return v;
}

DeviceInfo describe(VkPhysicalDevice p, int index) {
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(p, &props);
    VkPhysicalDeviceMemoryProperties mem;
    vkGetPhysicalDeviceMemoryProperties(p, &mem);
    DeviceInfo d;
    d.index = index;
    d.name = props.deviceName;
    d.api_version = props.apiVersion;
    switch (props.deviceType) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: d.kind = "discrete GPU"; break;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: d.kind = "integrated GPU"; break;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: d.kind = "virtual GPU"; break;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: d.kind = "CPU (software)"; break;
    default: d.kind = "other"; break;
    }
    for (uint32_t i = 0; i < mem.memoryHeapCount; i++)
        if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) d.memory = std::max<uint64_t>(d.memory, mem.memoryHeaps[i].size);
    return d;
}

}  // namespace

std::vector<DeviceInfo> list_devices(std::string* why) {
    VkInstance inst = make_instance(why);
    if (!inst) return {};
    std::vector<DeviceInfo> out;
    const std::vector<VkPhysicalDevice> devs = physical_devices(inst);
    for (size_t i = 0; i < devs.size(); i++) out.push_back(describe(devs[i], int(i)));
    vkDestroyInstance(inst, nullptr);
    if (out.empty() && why) *why = "the Vulkan driver reports no device";
    return out;
}

Device::Device(int index) {
    std::string why;
    instance_ = make_instance(&why);
    if (!instance_) throw std::runtime_error("vulkan: " + why);
    const std::vector<VkPhysicalDevice> devs = physical_devices(instance_);
    if (devs.empty()) {
        vkDestroyInstance(instance_, nullptr);
        throw std::runtime_error("vulkan: the Vulkan driver reports no device");
    }
    if (index < 0 || size_t(index) >= devs.size()) {
        vkDestroyInstance(instance_, nullptr);
        throw std::runtime_error("vulkan: no device " + std::to_string(index) + " (this machine has " +
                                 std::to_string(devs.size()) + ", see `giraffe info`)");
    }
    phys_ = devs[size_t(index)];
    info_ = describe(phys_, index);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(phys_, &props);
    max_range_ = props.limits.maxStorageBufferRange;
    binding_align_ = std::max<size_t>(4, props.limits.minStorageBufferOffsetAlignment);
    for (int i = 0; i < 3; i++) max_groups_[i] = props.limits.maxComputeWorkGroupCount[i];
    max_alloc_ = size_t(1) << 30;  // Vulkan 1.1 guarantees at least 1 GiB per allocation
    VkPhysicalDeviceMaintenance3Properties m3{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    p2.pNext = &m3;
    vkGetPhysicalDeviceProperties2(phys_, &p2);
    if (m3.maxMemoryAllocationSize) max_alloc_ = size_t(m3.maxMemoryAllocationSize);
    vkGetPhysicalDeviceMemoryProperties(phys_, &mem_props_);

    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(phys_, &nq, nullptr);
    std::vector<VkQueueFamilyProperties> qf(nq);
    vkGetPhysicalDeviceQueueFamilyProperties(phys_, &nq, qf.data());
    bool found = false;
    for (uint32_t i = 0; i < nq && !found; i++)
        if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) queue_family_ = i, found = true;
    if (!found) {
        vkDestroyInstance(instance_, nullptr);
        throw std::runtime_error("vulkan: device " + info_.name + " has no compute queue");
    }
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qci.queueFamilyIndex = queue_family_;
    qci.queueCount = 1;
    qci.pQueuePriorities = &priority;
    VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    check(vkCreateDevice(phys_, &dci, nullptr, &device_), "vkCreateDevice");
    vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

    VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pci.queueFamilyIndex = queue_family_;
    check(vkCreateCommandPool(device_, &pci, nullptr, &pool_), "vkCreateCommandPool");
    VkCommandBufferAllocateInfo cai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    cai.commandPool = pool_;
    cai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cai.commandBufferCount = 1;
    check(vkAllocateCommandBuffers(device_, &cai, &cmd_), "vkAllocateCommandBuffers");
    VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    check(vkCreateFence(device_, &fci, nullptr, &fence_), "vkCreateFence");

    VkDescriptorSetLayoutBinding b[kSrcBindings + 1];
    for (uint32_t i = 0; i <= kSrcBindings; i++) {
        b[i] = {};
        b[i].binding = i;
        b[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        b[i].descriptorCount = 1;
        b[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo lci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    lci.bindingCount = kSrcBindings + 1;
    lci.pBindings = b;
    check(vkCreateDescriptorSetLayout(device_, &lci, nullptr, &set_layout_), "vkCreateDescriptorSetLayout");
    VkPushConstantRange pcr{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushBytes};
    VkPipelineLayoutCreateInfo plci{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    plci.setLayoutCount = 1;
    plci.pSetLayouts = &set_layout_;
    plci.pushConstantRangeCount = 1;
    plci.pPushConstantRanges = &pcr;
    check(vkCreatePipelineLayout(device_, &plci, nullptr, &layout_), "vkCreatePipelineLayout");
    VkDescriptorPoolSize ps{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * (kSrcBindings + 1)};
    VkDescriptorPoolCreateInfo dpci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    dpci.maxSets = kSetsPerPool;
    dpci.poolSizeCount = 1;
    dpci.pPoolSizes = &ps;
    check(vkCreateDescriptorPool(device_, &dpci, nullptr, &desc_pool_), "vkCreateDescriptorPool");
    sets_left_ = kSetsPerPool;
    dummy_ = allocate(16);
}

Device::~Device() {
    if (device_) {
        vkDeviceWaitIdle(device_);
        release(dummy_);
        release(staging_);
        for (auto& [name, p] : pipelines_) vkDestroyPipeline(device_, p, nullptr);
        vkDestroyDescriptorPool(device_, desc_pool_, nullptr);
        vkDestroyPipelineLayout(device_, layout_, nullptr);
        vkDestroyDescriptorSetLayout(device_, set_layout_, nullptr);
        vkDestroyFence(device_, fence_, nullptr);
        vkDestroyCommandPool(device_, pool_, nullptr);
        vkDestroyDevice(device_, nullptr);
    }
    if (instance_) vkDestroyInstance(instance_, nullptr);
}

uint32_t Device::memory_type(uint32_t bits, VkMemoryPropertyFlags want, VkMemoryPropertyFlags avoid, bool* ok) const {
    for (uint32_t i = 0; i < mem_props_.memoryTypeCount; i++) {
        const VkMemoryPropertyFlags f = mem_props_.memoryTypes[i].propertyFlags;
        if ((bits & (1u << i)) && (f & want) == want && !(f & avoid)) {
            *ok = true;
            return i;
        }
    }
    *ok = false;
    return 0;
}

Allocation Device::allocate(size_t size) {
    size = (std::max<size_t>(size, 16) + 15) / 16 * 16;  // shaders read whole 32-bit words
    if (size > max_alloc_)
        throw std::runtime_error("vulkan: one allocation of " + std::to_string(size >> 20) + " MiB exceeds the device's limit of " +
                                 std::to_string(max_alloc_ >> 20) + " MiB");
    Allocation a;
    a.size = size;
    VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bci.size = size;
    bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    check(vkCreateBuffer(device_, &bci, nullptr, &a.buffer), "vkCreateBuffer");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device_, a.buffer, &req);
    // Device-local memory first; where it is also host-visible (shared memory) it is mapped and written
    // directly. Host memory when the device has no device-local type that fits.
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    bool ok = false;
    uint32_t type = memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | host, 0, &ok);
    if (!ok) type = memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0, &ok);
    if (!ok) type = memory_type(req.memoryTypeBits, host, 0, &ok);
    if (!ok) {
        vkDestroyBuffer(device_, a.buffer, nullptr);
        throw std::runtime_error("vulkan: no memory type for a storage buffer");
    }
    VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = type;
    const VkResult r = vkAllocateMemory(device_, &mai, nullptr, &a.memory);
    if (r != VK_SUCCESS) {
        vkDestroyBuffer(device_, a.buffer, nullptr);
        check(r, "vkAllocateMemory");
    }
    check(vkBindBufferMemory(device_, a.buffer, a.memory, 0), "vkBindBufferMemory");
    if ((mem_props_.memoryTypes[type].propertyFlags & host) == host)
        check(vkMapMemory(device_, a.memory, 0, VK_WHOLE_SIZE, 0, &a.mapped), "vkMapMemory");
    return a;
}

void Device::release(Allocation& a) {
    if (!a.buffer) return;
    if (a.mapped) vkUnmapMemory(device_, a.memory);
    vkDestroyBuffer(device_, a.buffer, nullptr);
    vkFreeMemory(device_, a.memory, nullptr);
    a = Allocation{};
}

void Device::copy(VkBuffer src, size_t src_off, VkBuffer dst, size_t dst_off, size_t n) {
    begin();
    VkBufferCopy region{src_off, dst_off, n};
    vkCmdCopyBuffer(cmd_, src, dst, 1, &region);
    finish();
}

void Device::write(const Allocation& a, size_t offset, const void* src, size_t n) {
    if (offset + n > a.size) throw std::logic_error("vulkan: write past the end of a buffer");
    if (a.mapped) {
        std::memcpy(static_cast<char*>(a.mapped) + offset, src, n);
        return;
    }
    if (!staging_.buffer) staging_ = allocate_host_staging();
    for (size_t done = 0; done < n;) {
        const size_t len = std::min(n - done, staging_.size);
        std::memcpy(staging_.mapped, static_cast<const char*>(src) + done, len);
        copy(staging_.buffer, 0, a.buffer, offset + done, len);
        done += len;
    }
}

void Device::read(const Allocation& a, size_t offset, void* dst, size_t n) {
    if (offset + n > a.size) throw std::logic_error("vulkan: read past the end of a buffer");
    if (a.mapped) {
        std::memcpy(dst, static_cast<const char*>(a.mapped) + offset, n);
        return;
    }
    if (!staging_.buffer) staging_ = allocate_host_staging();
    for (size_t done = 0; done < n;) {
        const size_t len = std::min(n - done, staging_.size);
        copy(a.buffer, offset + done, staging_.buffer, 0, len);
        std::memcpy(static_cast<char*>(dst) + done, staging_.mapped, len);
        done += len;
    }
}

Allocation Device::allocate_host_staging() {
    Allocation a;
    a.size = kStagingBytes;
    VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bci.size = a.size;
    bci.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    check(vkCreateBuffer(device_, &bci, nullptr, &a.buffer), "vkCreateBuffer");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device_, a.buffer, &req);
    bool ok = false;
    // Cached host memory reads back fast; coherent so no flushes are needed.
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    uint32_t type = memory_type(req.memoryTypeBits, host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0, &ok);
    if (!ok) type = memory_type(req.memoryTypeBits, host, 0, &ok);
    if (!ok) throw std::runtime_error("vulkan: no host-visible memory for staging");
    VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = type;
    check(vkAllocateMemory(device_, &mai, nullptr, &a.memory), "vkAllocateMemory");
    check(vkBindBufferMemory(device_, a.buffer, a.memory, 0), "vkBindBufferMemory");
    check(vkMapMemory(device_, a.memory, 0, VK_WHOLE_SIZE, 0, &a.mapped), "vkMapMemory");
    return a;
}

void Device::begin() {
    if (recording_) return;
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(vkBeginCommandBuffer(cmd_, &bi), "vkBeginCommandBuffer");
    recording_ = true;
}

void Device::submit_and_wait() {
    check(vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
    recording_ = false;
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cmd_;
    check(vkQueueSubmit(queue_, 1, &si, fence_), "vkQueueSubmit");
    check(vkWaitForFences(device_, 1, &fence_, VK_TRUE, UINT64_MAX), "vkWaitForFences");
    check(vkResetFences(device_, 1, &fence_), "vkResetFences");
    check(vkResetCommandBuffer(cmd_, 0), "vkResetCommandBuffer");
    check(vkResetDescriptorPool(device_, desc_pool_, 0), "vkResetDescriptorPool");
    sets_left_ = kSetsPerPool;
}

void Device::finish() {
    if (recording_) submit_and_wait();
}

VkDescriptorSet Device::descriptor_set() {
    if (sets_left_ == 0) {  // the pool ran dry: run what was recorded, then start again with a fresh pool
        submit_and_wait();
        begin();
    }
    VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    ai.descriptorPool = desc_pool_;
    ai.descriptorSetCount = 1;
    ai.pSetLayouts = &set_layout_;
    VkDescriptorSet set;
    check(vkAllocateDescriptorSets(device_, &ai, &set), "vkAllocateDescriptorSets");
    sets_left_--;
    return set;
}

VkPipeline Device::pipeline(const std::string& shader) {
    auto it = pipelines_.find(shader);
    if (it != pipelines_.end()) return it->second;
    Spirv spv;
    if (!find_spirv(shader, &spv)) throw std::logic_error("vulkan: no embedded shader '" + shader + "'");
    VkShaderModuleCreateInfo smci{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    smci.codeSize = spv.bytes;
    smci.pCode = spv.words;
    VkShaderModule mod;
    check(vkCreateShaderModule(device_, &smci, nullptr, &mod), "vkCreateShaderModule");
    VkComputePipelineCreateInfo cpci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    cpci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    cpci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    cpci.stage.module = mod;
    cpci.stage.pName = "main";
    cpci.layout = layout_;
    VkPipeline p;
    const VkResult r = vkCreateComputePipelines(device_, VK_NULL_HANDLE, 1, &cpci, nullptr, &p);
    vkDestroyShaderModule(device_, mod, nullptr);
    check(r, ("vkCreateComputePipelines for " + shader).c_str());
    pipelines_[shader] = p;
    return p;
}

}  // namespace ggml::vk
