#include "backends/cpu/bandwidth.h"

#include <omp.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "backends/cpu/vec.h"

namespace ggml::cpu {

double read_bandwidth_gbs(int n_threads, double buffer_gib) {
    const size_t n = size_t(buffer_gib * 1024 * 1024 * 1024 / sizeof(float));
    float* buf = static_cast<float*>(std::aligned_alloc(64, n * sizeof(float)));
    if (!buf) return 0;
#pragma omp parallel for num_threads(n_threads) schedule(static)
    for (int64_t i = 0; i < int64_t(n); i++) buf[i] = float(i & 7);  // touch every page on its reader's node
    double best = 0;
    volatile double sink = 0;
    for (int pass = 0; pass < 4; pass++) {
        const auto t0 = std::chrono::steady_clock::now();
        double total = 0;
#pragma omp parallel num_threads(n_threads) reduction(+ : total)
        {
            const int ith = omp_get_thread_num(), nth = omp_get_num_threads();
            const size_t per = (n + size_t(nth) - 1) / size_t(nth);
            const size_t b = per * size_t(ith), e = b + per < n ? b + per : n;
            if (b < e) total += vec_sum(int64_t(e - b), buf + b);
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        sink = sink + total;
        const double gbs = double(n * sizeof(float)) / s / 1e9;
        if (gbs > best) best = gbs;
    }
    std::free(buf);
    return best;
}

}  // namespace ggml::cpu
