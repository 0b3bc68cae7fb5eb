// The CPU backend: host buffers, OpenMP threads, scalar reference kernels plus SIMD where it pays.
#pragma once
#include <memory>

#include "ggml/backend.h"

namespace ggml {

std::unique_ptr<Backend> make_cpu_backend(int n_threads = 0);  // 0: all cores (omp_get_max_threads)
void cpu_set_threads(Backend& cpu, int n_threads);

}  // namespace ggml
