// The library's threads: every parallel loop goes through parallel_run. With OpenMP (the default
// build) it is one OpenMP parallel region; built with -DGIRAFFE_OPENMP=OFF (some mobile toolchains lack
// OpenMP) it is a small pool of persistent threads of our own.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace ggml {

// The thread count when none is asked for: one per core (OpenMP's default, or the hardware's count).
int default_threads();

namespace detail {
using ThreadCall = void (*)(void* ctx, int ith, int nth);
void parallel_run(int nth, ThreadCall call, void* ctx);
}  // namespace detail

// Calls fn(ith, nth) once on each of nth threads, the caller being thread 0, and returns when all have
// returned. The team may come out smaller than asked (a nested call runs on one thread), so fn must split
// its work by the nth it is given.
template <typename Fn>
void parallel_run(int nth, Fn&& fn) {
    using F = std::remove_reference_t<Fn>;
    detail::parallel_run(
        nth, [](void* ctx, int ith, int n) { (*static_cast<F*>(ctx))(ith, n); },
        const_cast<void*>(static_cast<const void*>(&fn)));
}

// fn(i) for every i in [0, n), on up to nth threads, each taking one contiguous run of the i (neighbours
// share data, or the items cost the same).
template <typename Fn>
void parallel_for_static(int64_t n, int nth, Fn&& fn) {
    parallel_run(int(std::max<int64_t>(1, std::min<int64_t>(nth, n))), [&](int ith, int nt) {
        for (int64_t i = n * ith / nt, end = n * (ith + 1) / nt; i < end; i++) fn(i);
    });
}

// fn(i) for every i in [0, n), on up to nth threads; each thread takes the next i when it finishes one,
// so uneven items balance.
template <typename Fn>
void parallel_for(int64_t n, int nth, Fn&& fn) {
    std::atomic<int64_t> next{0};
    parallel_run(int(std::max<int64_t>(1, std::min<int64_t>(nth, n))), [&](int, int) {
        for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) fn(i);
    });
}

}  // namespace ggml
