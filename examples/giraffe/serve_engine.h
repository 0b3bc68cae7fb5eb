// giraffe serve: the engine. One thread owns the Session (which is not thread-safe) and runs continuous
// batching over its sequences ("slots"): every step is one Session::decode_batch holding the next token
// of each generating request beside chunks of the prompts being read, so the weights are read once per
// step for all of them. HTTP threads only tokenize, submit a Job and wait on it.
#pragma once
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "model.h"
#include "sampler.h"
#include "session.h"

namespace cli::serve {

using Clock = std::chrono::steady_clock;

// One request's life, shared by the HTTP thread waiting on it and the engine thread running it. The
// inputs are fixed before submit(); the outputs change under `m` and are announced on `cv`.
struct Job {
    // Inputs.
    std::vector<int32_t> prompt;
    giraffe::SamplerParams sampling;
    int max_tokens = INT_MAX;  // INT_MAX: until the slot's context is full
    std::vector<std::string> stop;
    Clock::time_point deadline = Clock::time_point::max();
    bool cache_prompt = true;  // may reuse a slot's cached prefix (false: read the whole prompt afresh)

    // The outcome once done: finish_reason "stop" or "length", or an error (status > 0).
    struct Result {
        std::string finish_reason;
        int error_status = 0;
        std::string error_message, error_code;
        int prompt_tokens = 0, cached_tokens = 0, completion_tokens = 0;
    };

    // Waits up to `wait` for new text or the end; moves the new text into *text. True once the job is
    // done and all its text taken (then result() is final).
    bool take(std::string* text, std::chrono::milliseconds wait);
    Result result();
    void cancel() { cancelled = true; }  // the engine notices at its next step (Engine::cancel also wakes it)
    bool is_cancelled() const { return cancelled; }

    // Engine side.
    void emit(const std::string& text);
    void finish(Result r);

private:
    std::mutex m;
    std::condition_variable cv;
    std::string text_;  // produced, not yet taken
    bool done_ = false;
    Result result_;
    std::atomic<bool> cancelled{false};
};

struct EngineOptions {
    int n_queue = 64;    // requests waiting for a slot at most; beyond, submit() refuses
    int n_ubatch = 512;  // tokens per step (generating slots' tokens + prompt chunks)
};

// A snapshot for /health and /metrics.
struct EngineStats {
    int slots = 0, slots_busy = 0, queued = 0;
    int64_t kv_used = 0;         // positions held by running requests
    int64_t kv_cached_idle = 0;  // positions idle slots keep for prefix reuse
    int64_t kv_total = 0;        // slots x positions per slot
    uint64_t prompt_tokens = 0, reused_tokens = 0, generated_tokens = 0;
};

class Engine {
public:
    // Creates the session (params.n_seq slots of params.n_ctx positions); run() then serves.
    Engine(const giraffe::Model& model, const giraffe::SessionParams& params, const EngineOptions& opts);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Queues a job; false when the queue is full or the engine stopping (the caller answers 503).
    bool submit(const std::shared_ptr<Job>& job);
    void cancel(const std::shared_ptr<Job>& job);
    // Runs the batching loop on the calling thread until stop(); then ends every queued and running job
    // with an error. Call it on the thread that loaded the model: its OpenMP team then does the work, and
    // no second team competes for the cores (with more OpenMP threads than cores, libgomp stops spinning
    // at its barriers and every op pays a sleep and a wake-up).
    void run();
    // Makes run() return (from any thread).
    void stop();
    EngineStats stats() const;
    int n_ctx() const { return n_ctx_; }  // positions per slot
    int n_slots() const { return int(slots_.size()); }

private:
    struct Slot;
    void admit_locked();  // queued jobs into free slots (holding mu_)
    void step();          // one decode_batch over the busy slots
    void take(Slot& s, int32_t token);  // a slot's sampled token: its text, and whether the job ends
    void release(Slot& s, Job::Result* r);  // ends the slot's job (r null: cancelled, nothing to say)
    void update_stats();

    const giraffe::Model& model_;
    std::unique_ptr<giraffe::Session> session_;
    EngineOptions opts_;
    int n_ctx_ = 0;
    std::vector<std::unique_ptr<Slot>> slots_;  // engine thread only
    uint64_t admissions_ = 0;

    mutable std::mutex mu_;  // guards what follows
    std::condition_variable cv_;
    std::deque<std::shared_ptr<Job>> queue_;
    int busy_ = 0;
    bool stopping_ = false;
    EngineStats stats_;

};

}  // namespace cli::serve
