// Backends by name, for the runtime and the tools: "cpu", "vulkan" / "cuda" (device 0) or "vulkan:N" /
// "cuda:N". Nothing above this file names a backend's own headers.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ggml/backend.h"

namespace ggml {

struct DeviceSpec {
    std::string kind = "cpu";  // "cpu", "vulkan" or "cuda"
    int index = 0;
    bool is_cpu() const { return kind == "cpu"; }
    std::string str() const { return is_cpu() ? kind : kind + ":" + std::to_string(index); }
};
// Parses "cpu", "vulkan", "vulkan:1", "cuda", "cuda:1"; throws a one-line error naming what is accepted.
DeviceSpec parse_device(const std::string& s);
// The CPU backend with n_threads threads (0: all cores), or the named GPU device; a GPU that this build
// lacks or this machine does not have is a one-line error.
std::unique_ptr<Backend> make_backend(const DeviceSpec& spec, int n_threads = 0);
// One line per device this build can use, for `giraffe info`.
std::vector<std::string> describe_devices();
// Whether this build has the Vulkan backend and this machine a device for it (*why says why not).
bool vulkan_available(std::string* why = nullptr);
// Whether this build has the CUDA backend and this machine a CUDA device (*why says why not).
bool cuda_available(std::string* why = nullptr);

}  // namespace ggml
