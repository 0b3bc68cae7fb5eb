// The CPU backend: host buffers, OpenMP threads, scalar reference kernels plus SIMD where it pays.
#pragma once
#include <cstddef>
#include <memory>

#include "ggml/backend.h"

namespace ggml {

std::unique_ptr<Backend> make_cpu_backend(int n_threads = 0);  // 0: all cores (ggml::default_threads)
// Host memory for CPU buffers and the benchmarks' arrays (free with std::free): 64-byte aligned, so SIMD
// rows and cache lines line up; from 4 MiB up, 2 MiB aligned and advised onto 2 MiB pages (Linux
// transparent huge pages), which streams weights markedly faster on some machines. Throws std::bad_alloc.
void* host_alloc(size_t bytes);

}  // namespace ggml
