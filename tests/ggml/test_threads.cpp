// ggml::parallel_run / parallel_for / parallel_for_static: every index once, teams that can nest and be
// entered from several threads, on whichever implementation the build has (OpenMP or the own pool).
#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "ggml/threads.h"

TEST_CASE("threads: parallel_run calls each thread index once", "[threads]") {
    REQUIRE(ggml::default_threads() >= 1);
    for (int nth : {1, 2, 3, 4, 7}) {
        std::vector<std::atomic<int>> calls(static_cast<size_t>(nth));
        std::atomic<int> team{0};
        ggml::parallel_run(nth, [&](int ith, int n) {
            REQUIRE(n >= 1);
            REQUIRE(n <= nth);
            REQUIRE(ith < n);
            team = n;
            calls[size_t(ith)]++;
        });
        for (int i = 0; i < nth; i++) REQUIRE(calls[size_t(i)] == (i < team ? 1 : 0));
    }
}

TEST_CASE("threads: parallel_for and parallel_for_static visit every index once", "[threads]") {
    for (int nth : {1, 2, 3, 8})
        for (int64_t n : {int64_t(0), int64_t(1), int64_t(5), int64_t(1000)}) {
            std::vector<std::atomic<int>> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
            ggml::parallel_for(n, nth, [&](int64_t i) { a[size_t(i)]++; });
            ggml::parallel_for_static(n, nth, [&](int64_t i) { b[size_t(i)]++; });
            for (int64_t i = 0; i < n; i++) {
                REQUIRE(a[size_t(i)] == 1);
                REQUIRE(b[size_t(i)] == 1);
            }
        }
}

TEST_CASE("threads: many short teams in a row, nested teams, callers on several threads", "[threads]") {
    // Decode opens a team per op: thousands of short ones back to back must each run its own job once
    // per thread of the team.
    int bad = 0;
    for (int r = 0; r < 20000; r++) {
        std::atomic<int> calls{0}, team{0}, job{-1};
        ggml::parallel_run(3, [&](int, int n) { calls++, team = n, job = r; });
        bad += calls != team || job != r;
    }
    REQUIRE(bad == 0);

    std::atomic<int> inner{0};
    ggml::parallel_run(2, [&](int, int) { ggml::parallel_for(10, 4, [&](int64_t) { inner++; }); });
    std::atomic<int> teams{0};
    ggml::parallel_run(2, [&](int, int) { teams++; });
    REQUIRE(inner == 10 * teams);

    std::vector<std::thread> callers;
    std::atomic<int64_t> total{0};
    for (int c = 0; c < 3; c++)
        callers.emplace_back([&] {
            for (int r = 0; r < 500; r++) ggml::parallel_for(64, 2, [&](int64_t i) { total += i; });
        });
    for (std::thread& t : callers) t.join();
    REQUIRE(total == 3 * 500 * (63 * 64 / 2));
}
