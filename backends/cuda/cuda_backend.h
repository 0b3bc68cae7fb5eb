// The CUDA backend: device memory, one .cu per op (backends/cuda/<op>.cu), every op of a graph piece
// launched on one stream, and the piece's launches captured into a CUDA graph that later computes of the
// same piece replay (a decode step repeats its shape token after token).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "backends/cuda/cuda_ns.h"
#include "ggml/backend.h"

namespace ggml::GIRAFFE_CUDA_NS {

struct DeviceInfo {
    int index = 0;
    std::string name;
    int cc_major = 0, cc_minor = 0;  // compute capability
    uint64_t memory = 0;             // bytes
};

// This machine's CUDA devices; empty with *why set when there is no driver or no device.
std::vector<DeviceInfo> list_devices(std::string* why = nullptr);

// Device `index` of list_devices(); throws a one-line error when there is no such device.
std::unique_ptr<Backend> make_backend(int index);

}  // namespace ggml::GIRAFFE_CUDA_NS

#ifndef GIRAFFE_CUDA_EMULATE
namespace ggml {

// cuda::make_backend, by the name the registry uses.
std::unique_ptr<Backend> make_cuda_backend(int index);

}  // namespace ggml
#endif
