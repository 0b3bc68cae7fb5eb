#include "backends/cpu/bandwidth.h"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/gemm.h"

namespace ggml::cpu {

double read_pass_seconds(const void* p, size_t bytes, int n_threads) {
    const char* c = static_cast<const char*>(p);
    const size_t lines = bytes / 64;  // whole 64-byte lines
    const VecTable& vt = vec_table();
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t total = 0;
#pragma omp parallel num_threads(n_threads) reduction(^ : total)
    {
        const size_t ith = size_t(omp_get_thread_num()), nth = size_t(omp_get_num_threads());
        const size_t b = lines * ith / nth, e = lines * (ith + 1) / nth;
        total ^= vt.xor_lines(c + b * 64, e - b);
    }
    static std::atomic<uint64_t> sink;  // the result is used, so the reads are kept
    sink.store(total, std::memory_order_relaxed);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double read_bandwidth_gbs(int n_threads, double buffer_gib) {
    const size_t bytes = size_t(buffer_gib * 1024 * 1024 * 1024) / 64 * 64;
    uint64_t* buf;
    try {
        buf = static_cast<uint64_t*>(host_alloc(bytes));  // as CPU buffers (weights) are
    } catch (const std::bad_alloc&) {
        return 0;
    }
    const size_t n = bytes / 8;
#pragma omp parallel for num_threads(n_threads) schedule(static)
    for (int64_t i = 0; i < int64_t(n); i++) buf[i] = uint64_t(i);  // touch every page on its reader's node
    double best = 1e300;
    for (int pass = 0; pass < 4; pass++) {
        const double s = read_pass_seconds(buf, bytes, n_threads);
        if (s < best) best = s;
    }
    std::free(buf);
    return double(bytes) / best / 1e9;
}

}  // namespace ggml::cpu
