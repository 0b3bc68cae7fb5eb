// The CPU backend: host buffers, OpenMP threads, scalar reference kernels plus SIMD where it pays.
#pragma once
#include <cstddef>
#include <memory>

#include "ggml/backend.h"

namespace ggml {

std::unique_ptr<Backend> make_cpu_backend(int n_threads = 0);
// Host memory for large arrays (free with std::free): 64-byte aligned, and from 2 MiB up on 2 MiB pages
// where the kernel grants them, so a streaming read crosses a page (where hardware prefetch stops and a
// TLB miss costs) 512x less often. Throws std::bad_alloc.
void* host_alloc(size_t bytes);  // 0: all cores (omp_get_max_threads)
void cpu_set_threads(Backend& cpu, int n_threads);

}  // namespace ggml
