// parallel_run on OpenMP's team, or, built without OpenMP, on a pool of our own.
#include "ggml/threads.h"

#if defined(_OPENMP)
#include <omp.h>
#else
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__linux__)
#include <sched.h>
#endif
#endif

namespace ggml {

#if defined(_OPENMP)

int default_threads() { return omp_get_max_threads(); }

void detail::parallel_run(int nth, ThreadCall call, void* ctx) {
    // One thread needs no region: opening one costs about as much as a small op at decode.
    if (nth <= 1) return call(ctx, 0, 1);
#pragma omp parallel num_threads(nth)
    call(ctx, omp_get_thread_num(), omp_get_num_threads());
}

#else

int default_threads() {
#if defined(__linux__)
    cpu_set_t set;  // the cores this process may use (a container's or taskset's share)
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
    const unsigned n = std::thread::hardware_concurrency();
    return n > 0 ? int(n) : 1;
}

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

// One step of a busy wait. With more threads than cores a spinning thread holds the core that the
// thread it waits for needs, so then each step gives the core away.
inline void wait_step(bool oversubscribed) {
    if (oversubscribed) std::this_thread::yield();
    else cpu_relax();
}

thread_local bool t_in_team = false;  // a call from inside a team runs on its own thread

// Persistent workers. Between teams they spin for a while, because at decode the next op's team follows
// within microseconds and waking a sleeping thread costs tens of them; after that they sleep. Every
// worker acknowledges every team (joining it or not), so none can still be looking at the previous
// team's job when the next one is posted.
class Pool {
public:
    ~Pool() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            stop_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
    }

    void run(int nth, detail::ThreadCall call, void* ctx) {
        std::lock_guard<std::mutex> one_team(team_mu_);
        while (int(workers_.size()) < nth - 1) {
            const int id = int(workers_.size()) + 1;
            workers_.emplace_back([this, id] { work(id); });
            oversubscribed_.store(int(workers_.size()) + 1 > default_threads(), std::memory_order_relaxed);
        }
        call_ = call, ctx_ = ctx, nth_ = nth;
        pending_.store(int(workers_.size()), std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lock(mu_);
            gen_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        t_in_team = true;
        call(ctx, 0, nth);
        t_in_team = false;
        const bool over = oversubscribed_.load(std::memory_order_relaxed);
        for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++)
            wait_step(over || spins >= 1 << 16);
    }

private:
    void work(int id) {
        t_in_team = true;
        uint64_t seen = 0;
        for (;;) {
            uint64_t g = wait_for_team(seen);
            if (g == seen) return;  // stopping
            seen = g;
            if (id < nth_) call_(ctx_, id, nth_);
            pending_.fetch_sub(1, std::memory_order_acq_rel);
        }
    }

    uint64_t wait_for_team(uint64_t seen) {
        using Clock = std::chrono::steady_clock;
        const Clock::time_point give_up = Clock::now() + std::chrono::milliseconds(2);
        for (int spins = 1;; spins++) {
            const uint64_t g = gen_.load(std::memory_order_acquire);
            if (g != seen) return g;
            if (spins % 1024 == 0 && Clock::now() > give_up) break;
            wait_step(oversubscribed_.load(std::memory_order_relaxed));
        }
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return stop_ || gen_.load(std::memory_order_acquire) != seen; });
        return stop_ ? seen : gen_.load(std::memory_order_acquire);
    }

    std::mutex team_mu_;  // one team at a time (callers on several threads take turns)
    std::vector<std::thread> workers_;
    detail::ThreadCall call_ = nullptr;  // the posted job: written before gen_ is bumped
    void* ctx_ = nullptr;
    int nth_ = 0;
    std::atomic<uint64_t> gen_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> oversubscribed_{false};  // more threads than cores
    std::mutex mu_;
    std::condition_variable wake_;
    bool stop_ = false;
};

}  // namespace

void detail::parallel_run(int nth, ThreadCall call, void* ctx) {
    if (nth <= 1 || t_in_team) return call(ctx, 0, 1);
    static Pool pool;
    pool.run(nth, call, ctx);
}

#endif

}  // namespace ggml
