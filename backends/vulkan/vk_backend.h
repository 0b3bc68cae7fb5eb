// The Vulkan backend: device memory, one compute shader per op (shaders/<op>.comp, compiled to SPIR-V at
// build time and embedded), and a synchronous compute of each graph piece the scheduler gives it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "backends/vulkan/vk_device.h"
#include "ggml/backend.h"

namespace ggml {

// Device `index` of list_devices(); throws a one-line error when there is no driver or no such device.
std::unique_ptr<Backend> make_vulkan_backend(int index);

}  // namespace ggml
