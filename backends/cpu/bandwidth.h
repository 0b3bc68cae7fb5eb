// Measured memory-read bandwidth: the yardstick for bandwidth-bound kernels (decode reads every weight
// once per token).
#pragma once

namespace ggml::cpu {

// GB/s reading a buffer much larger than the caches with n_threads threads (best of a few passes).
double read_bandwidth_gbs(int n_threads, double buffer_gib = 1.0);

}  // namespace ggml::cpu
