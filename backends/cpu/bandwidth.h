// Measured memory-read bandwidth: the yardstick for bandwidth-bound kernels (decode reads every weight
// once per token).
#pragma once
#include <cstddef>

namespace ggml::cpu {

// Seconds for one pass reading bytes at p (64-byte aligned, a multiple of 64 bytes) with n_threads
// threads, each reading one contiguous share with the widest loads the CPU has, prefetched as the decode
// dots prefetch: the plain read that bandwidth-bound kernels are held to.
double read_pass_seconds(const void* p, size_t bytes, int n_threads);

// A buffer much larger than the caches, on the pages CPU buffers (weights) get, each page first touched by
// the thread that reads it; kept so that passes can be read between other work. Throws std::bad_alloc.
class ReadProbe {
public:
    explicit ReadProbe(int n_threads, double buffer_gib = 1.0);
    ~ReadProbe();
    ReadProbe(const ReadProbe&) = delete;
    ReadProbe& operator=(const ReadProbe&) = delete;
    double pass_gbs() const;              // GB/s of one pass
    double best_gbs(int passes) const;    // the best of `passes` passes
    // Seconds to read the next `bytes` of the buffer (round robin, so that no slice is still cached).
    double slice_seconds(size_t bytes);
private:
    size_t bytes_;  // before buf_: the constructor allocates buf_ from it
    void* buf_;
    int n_threads_;
    size_t cursor_ = 0;
};

}  // namespace ggml::cpu
