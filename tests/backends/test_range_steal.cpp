// RangeSteal (decode's work split): every item is claimed exactly once, by its owner from the front or by
// a thief from the back, in claims that never exceed the chunk, under real concurrency.
#include "ggml/threads.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <vector>

#include "backends/cpu/range_steal.h"

using ggml::cpu::RangeSteal;

TEST_CASE("range_steal: each item is claimed once, claims no larger than the chunk", "[simd]") {
    for (int threads : {1, 2, 3, 4})
        for (int64_t n : {int64_t(0), int64_t(1), int64_t(7), int64_t(1000), int64_t(4099)})
            for (int64_t chunk : {int64_t(1), int64_t(5), int64_t(64)}) {
                RangeSteal work(n, threads);
                std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
                std::atomic<bool> too_big{false};
                ggml::parallel_run(threads, [&](int ith, int) {
                    int64_t lo, hi;
                    bool own = true;
                    int k = 0;
                    for (;;) {
                        // thread 0 also steals between its own claims, so thefts race the owners' claims
                        bool got = ith == 0 && ++k % 3 == 0 && work.steal(ith, chunk, &lo, &hi);
                        if (!got && own && !(got = work.take_own(ith, chunk, &lo, &hi))) own = false;
                        if (!got && !work.steal(ith, chunk, &lo, &hi)) break;
                        if (hi - lo > chunk || hi <= lo) too_big = true;
                        for (int64_t i = lo; i < hi; i++) seen[size_t(i)]++;
                    }
                });
                INFO("threads " << threads << ", n " << n << ", chunk " << chunk);
                REQUIRE_FALSE(too_big);
                for (int64_t i = 0; i < n; i++) REQUIRE(seen[size_t(i)] == 1);
            }
}

TEST_CASE("range_steal: claims shrink to half of what is left", "[simd]") {
    RangeSteal work(10, 1);
    int64_t lo, hi;
    std::vector<int64_t> sizes;
    while (work.take_own(0, 4, &lo, &hi)) sizes.push_back(hi - lo);
    REQUIRE(sizes == std::vector<int64_t>{4, 3, 2, 1});  // 10 -> 6 -> 3 -> 1 -> 0 left
}
