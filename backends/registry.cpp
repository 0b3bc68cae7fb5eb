#include "backends/registry.h"

#include <stdexcept>

#include "backends/cpu/cpu_backend.h"
#if GIRAFFE_VULKAN
#include "backends/vulkan/vk_backend.h"
#endif
#if GIRAFFE_CUDA
#include "backends/cuda/cuda_backend.h"
#endif

namespace ggml {

namespace {
const char* const kAccepted = "(expected cpu, vulkan, vulkan:N, cuda or cuda:N)";
}

DeviceSpec parse_device(const std::string& s) {
    DeviceSpec d;
    const size_t colon = s.find(':');
    d.kind = s.substr(0, colon);
    if (d.kind != "cpu" && d.kind != "vulkan" && d.kind != "cuda")
        throw std::invalid_argument("unknown device '" + s + "' " + kAccepted);
    if (colon != std::string::npos) {
        const std::string idx = s.substr(colon + 1);
        if (d.is_cpu() || idx.empty() || idx.find_first_not_of("0123456789") != std::string::npos || idx.size() > 4)
            throw std::invalid_argument("bad device '" + s + "' " + kAccepted);
        d.index = std::stoi(idx);
    }
    return d;
}

std::unique_ptr<Backend> make_backend(const DeviceSpec& spec, int n_threads) {
    if (spec.is_cpu()) return make_cpu_backend(n_threads);
    if (spec.kind == "cuda") {
#if GIRAFFE_CUDA
        return make_cuda_backend(spec.index);
#else
        throw std::runtime_error("device " + spec.str() + ": this build of giraffe has no CUDA backend "
                                 "(rebuild where nvcc is found, or with -DCMAKE_CUDA_COMPILER=/path/to/nvcc)");
#endif
    }
#if GIRAFFE_VULKAN
    return make_vulkan_backend(spec.index);
#else
    throw std::runtime_error("device " + spec.str() + ": this build of giraffe has no Vulkan backend "
                             "(rebuild with the Vulkan SDK: Debian's libvulkan-dev and glslc)");
#endif
}

bool vulkan_available(std::string* why) {
#if GIRAFFE_VULKAN
    return !vk::list_devices(why).empty();
#else
    if (why) *why = "this build of giraffe has no Vulkan backend";
    return false;
#endif
}

bool cuda_available(std::string* why) {
#if GIRAFFE_CUDA
    return !cuda::list_devices(why).empty();
#else
    if (why) *why = "this build of giraffe has no CUDA backend";
    return false;
#endif
}

std::vector<std::string> describe_devices() {
    std::vector<std::string> lines = {"cpu: the CPU backend (SIMD, OpenMP threads)"};
    std::string why;
#if GIRAFFE_VULKAN
    const std::vector<vk::DeviceInfo> devs = vk::list_devices(&why);
    for (const vk::DeviceInfo& d : devs)
        lines.push_back("vulkan:" + std::to_string(d.index) + ": " + d.name + " (" + d.kind + ", " +
                        std::to_string(d.memory >> 20) + " MiB)");
    if (devs.empty()) lines.push_back("vulkan: none (" + why + ")");
#else
    lines.push_back("vulkan: not built (no Vulkan SDK when giraffe was compiled)");
#endif
#if GIRAFFE_CUDA
    const std::vector<cuda::DeviceInfo> cdevs = cuda::list_devices(&why);
    for (const cuda::DeviceInfo& d : cdevs)
        lines.push_back("cuda:" + std::to_string(d.index) + ": " + d.name + " (compute " + std::to_string(d.cc_major) + "." +
                        std::to_string(d.cc_minor) + ", " + std::to_string(d.memory >> 20) + " MiB)");
    if (cdevs.empty()) lines.push_back("cuda: none (" + why + ")");
#else
    lines.push_back("cuda: not built (no nvcc when giraffe was compiled)");
#endif
    return lines;
}

}  // namespace ggml
