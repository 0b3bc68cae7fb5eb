#include "backends/cpu/bandwidth.h"

#include "ggml/threads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/gemm.h"

namespace ggml::cpu {

double read_pass_seconds(const void* p, size_t bytes, int n_threads) {
    const char* c = static_cast<const char*>(p);
    const size_t lines = bytes / 64;  // whole 64-byte lines
    const VecTable& vt = vec_table();
    const auto t0 = std::chrono::steady_clock::now();
    std::atomic<uint64_t> total{0};
    ggml::parallel_run(n_threads, [&](int ith, int nth) {
        const size_t b = lines * size_t(ith) / size_t(nth), e = lines * size_t(ith + 1) / size_t(nth);
        total.fetch_xor(vt.xor_lines(c + b * 64, e - b), std::memory_order_relaxed);
    });
    static std::atomic<uint64_t> sink;  // the result is used, so the reads are kept
    sink.store(total.load(std::memory_order_relaxed), std::memory_order_relaxed);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

ReadProbe::ReadProbe(int n_threads, double buffer_gib)
    : bytes_(size_t(buffer_gib * 1024 * 1024 * 1024) / 64 * 64), buf_(host_alloc(bytes_)), n_threads_(n_threads) {
    uint64_t* w = static_cast<uint64_t*>(buf_);
    const size_t n = bytes_ / 8;
    // touch every page on its reader's node
    ggml::parallel_for_static(int64_t(n), n_threads, [&](int64_t i) { w[i] = uint64_t(i); });
}

ReadProbe::~ReadProbe() { std::free(buf_); }

double ReadProbe::pass_gbs() const { return double(bytes_) / read_pass_seconds(buf_, bytes_, n_threads_) / 1e9; }

double ReadProbe::slice_seconds(size_t bytes) {
    bytes = std::min(bytes / 64 * 64, bytes_);
    if (cursor_ + bytes > bytes_) cursor_ = 0;
    const double s = read_pass_seconds(static_cast<const char*>(buf_) + cursor_, bytes, n_threads_);
    cursor_ += bytes;
    return s;
}

double ReadProbe::best_gbs(int passes) const {
    double best = 0;
    for (int i = 0; i < passes; i++) best = std::max(best, pass_gbs());
    return best;
}

}  // namespace ggml::cpu
