#include "serve_engine.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "ggml/threads.h"

namespace cli::serve {

// ---- Job ----

bool Job::take(std::string* text, std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lk(m);
    cv.wait_for(lk, wait, [&] { return done_ || !text_.empty(); });
    *text += text_;
    text_.clear();
    return done_;
}

Job::Result Job::result() {
    std::lock_guard<std::mutex> lk(m);
    return result_;
}

void Job::emit(const std::string& text) {
    if (text.empty()) return;
    {
        std::lock_guard<std::mutex> lk(m);
        text_ += text;
    }
    cv.notify_all();
}

void Job::finish(Result r) {
    {
        std::lock_guard<std::mutex> lk(m);
        if (done_) return;
        result_ = std::move(r);
        done_ = true;
    }
    cv.notify_all();
}

namespace {

Job::Result error_result(int status, const std::string& message, const std::string& code) {
    Job::Result r;
    r.error_status = status;
    r.error_message = message;
    r.error_code = code;
    return r;
}

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
    const size_t n = std::min(a.size(), b.size());
    size_t i = 0;
    while (i < n && a[i] == b[i]) i++;
    return i;
}

// Where the first stop string starts in text (npos: none), and how many bytes at the end must be held
// back because they could begin one: text is only released once no stop string can cover it, so a stop
// string is never sent, not even in part.
size_t find_stop(const std::string& text, const std::vector<std::string>& stops, size_t* hold) {
    size_t first = std::string::npos;
    *hold = 0;
    for (const std::string& s : stops) {
        first = std::min(first, text.find(s));
        for (size_t k = std::min(s.size() - 1, text.size()); k > *hold; k--)
            if (text.compare(text.size() - k, k, s, 0, k) == 0) {
                *hold = k;
                break;
            }
    }
    return first;
}

}  // namespace

// ---- Engine ----

// A sequence of the session and the request it serves. `cached` mirrors the sequence's KV cells (the
// tokens decoded into it), which outlive the request for the next one's prefix reuse.
struct Engine::Slot {
    int seq = 0;
    std::vector<int32_t> cached;
    std::shared_ptr<Job> job;  // null: idle
    uint64_t order = 0;        // admission order: prompts are read first come, first served
    Clock::time_point last_used;
    size_t n_read = 0;         // prompt tokens in the cache
    bool generating = false;   // the prompt is read; `next` is the token to decode
    int32_t next = 0;
    int n_generated = 0, n_reused = 0;
    std::optional<giraffe::Sampler> sampler;
    std::optional<giraffe::StreamDecoder> decoder;
    std::string held;  // decoded text not yet released (it may begin a stop string)
};

Engine::Engine(const giraffe::Model& model, const giraffe::SessionParams& params, const EngineOptions& opts)
    : model_(model), opts_(opts) {
    session_ = std::make_unique<giraffe::Session>(model, params);
    n_ctx_ = session_->n_ctx();
    for (int i = 0; i < session_->n_seq(); i++) {
        slots_.push_back(std::make_unique<Slot>());
        slots_.back()->seq = i;
    }
    update_stats();
}

Engine::~Engine() { stop(); }

bool Engine::submit(const std::shared_ptr<Job>& job) {
    {
        std::lock_guard<std::mutex> lk(mu_);
        if (stopping_ || int(queue_.size()) >= opts_.n_queue) return false;
        queue_.push_back(job);
        stats_.queued = int(queue_.size());
    }
    cv_.notify_one();
    return true;
}

void Engine::cancel(const std::shared_ptr<Job>& job) {
    job->cancel();
    { std::lock_guard<std::mutex> lk(mu_); }  // so a wait that just checked its predicate sees it
    cv_.notify_one();
}

void Engine::stop() {
    {
        std::lock_guard<std::mutex> lk(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
}

EngineStats Engine::stats() const {
    std::lock_guard<std::mutex> lk(mu_);
    return stats_;
}

void Engine::run() {
    while (true) {
        {
            std::unique_lock<std::mutex> lk(mu_);
            cv_.wait(lk, [&] { return stopping_ || busy_ > 0 || !queue_.empty(); });
            if (stopping_) break;
            admit_locked();
        }
        try {
            step();
        } catch (const std::exception& e) {
            // step() handles decode errors itself; this is the last guard so the engine never dies.
            std::fprintf(stderr, "serve: engine error: %s\n", e.what());
        }
        update_stats();
    }
    // Shutting down: every waiting client gets its answer, an error.
    std::deque<std::shared_ptr<Job>> left;
    {
        std::lock_guard<std::mutex> lk(mu_);
        left.swap(queue_);
    }
    for (auto& j : left) j->finish(error_result(503, "the server is shutting down", "shutting_down"));
    Job::Result r = error_result(503, "the server is shutting down", "shutting_down");
    for (auto& s : slots_)
        if (s->job) release(*s, &r);
    update_stats();
}

void Engine::admit_locked() {
    const auto now = Clock::now();
    // Queued jobs whose client left or whose time ran out end here, without a slot.
    for (auto it = queue_.begin(); it != queue_.end();) {
        if ((*it)->is_cancelled()) {
            (*it)->finish(error_result(499, "cancelled", "cancelled"));
            it = queue_.erase(it);
        } else if (now >= (*it)->deadline) {
            (*it)->finish(error_result(503, "the request timed out waiting for a slot", "timeout"));
            it = queue_.erase(it);
        } else {
            ++it;
        }
    }
    while (!queue_.empty()) {
        std::shared_ptr<Job> job = queue_.front();
        // The idle slot whose cache shares the longest prefix with the prompt (a conversation's next
        // turn, a shared system prompt), when that covers at least half of the prompt. Otherwise the
        // slot idle longest (empty ones first) starts afresh: a slight match (the chat template's
        // opening) saves nothing and would cost another conversation its cache, and a prompt read from
        // position 0 gets the same arithmetic whatever ran before it.
        Slot* best = nullptr;
        Slot* oldest = nullptr;
        size_t best_lcp = 0;
        for (auto& s : slots_) {
            if (s->job) continue;
            const size_t lcp = job->cache_prompt ? common_prefix(s->cached, job->prompt) : 0;
            if (!best || lcp > best_lcp || (lcp == best_lcp && s->last_used < best->last_used)) best = s.get(), best_lcp = lcp;
            if (!oldest || s->last_used < oldest->last_used) oldest = s.get();
        }
        if (!best) break;
        if (2 * best_lcp < job->prompt.size()) best = oldest, best_lcp = 0;
        queue_.pop_front();
        Slot& s = *best;
        if (s.cached.size() != size_t(session_->n_past(s.seq))) {  // never expected; a wrong mirror must not reuse
            std::fprintf(stderr, "serve: slot %d held %d positions, not %zu: cleared\n", s.seq, session_->n_past(s.seq), s.cached.size());
            best_lcp = 0;
        }
        // At least the prompt's last token is decoded again: its logits give the first new token.
        const int32_t want = int32_t(std::min(best_lcp, job->prompt.size() - 1));
        const int32_t kept = session_->keep_prefix(s.seq, want);
        s.cached.resize(size_t(kept));
        s.job = job;
        s.order = admissions_++;
        s.n_read = size_t(kept);
        s.n_reused = kept;
        s.generating = false;
        s.n_generated = 0;
        s.sampler.emplace(job->sampling);
        for (int32_t t : job->prompt) s.sampler->accept(t);  // the repetition penalty's history
        s.decoder.emplace(model_.tokenizer());
        s.held.clear();
        busy_++;
        stats_.prompt_tokens += job->prompt.size();
        stats_.reused_tokens += uint64_t(kept);
    }
    stats_.queued = int(queue_.size());
}

void Engine::release(Slot& s, Job::Result* r) {
    if (r) {
        r->prompt_tokens = int(s.job->prompt.size());
        r->cached_tokens = s.n_reused;
        r->completion_tokens = s.n_generated;
        s.job->finish(*r);
    } else {
        s.job->finish(error_result(499, "cancelled", "cancelled"));
    }
    s.job.reset();
    s.sampler.reset();
    s.decoder.reset();
    s.last_used = Clock::now();
    std::lock_guard<std::mutex> lk(mu_);
    busy_--;
}

void Engine::step() {
    const auto now = Clock::now();
    for (auto& s : slots_) {
        if (!s->job) continue;
        if (s->job->is_cancelled()) {
            release(*s, nullptr);
        } else if (now >= s->job->deadline) {
            // Out of time: what was produced is the answer, cut short; with nothing produced, an error.
            Job::Result r = s->n_generated > 0 ? Job::Result{} : error_result(503, "the request timed out", "timeout");
            if (s->n_generated > 0) {
                s->job->emit(s->held + s->decoder->flush());
                r.finish_reason = "length";
            }
            release(*s, &r);
        }
    }

    std::vector<giraffe::SeqTokens> batch;
    std::vector<Slot*> in_batch, with_logits;
    int budget = opts_.n_ubatch;
    for (auto& s : slots_)
        if (s->job && s->generating) {
            batch.push_back({s->seq, {s->next}, true});
            in_batch.push_back(s.get());
            with_logits.push_back(s.get());
            budget--;
        }
    std::vector<Slot*> reading;
    for (auto& s : slots_)
        if (s->job && !s->generating) reading.push_back(s.get());
    std::sort(reading.begin(), reading.end(), [](const Slot* a, const Slot* b) { return a->order < b->order; });
    // Prompts are read in chunks of a fixed size from their first token not in the cache, so where a prompt
    // is cut never depends on the load (a prompt read in other pieces rounds differently, and a greedy
    // answer should not depend on who else is being served). A chunk leaves room for every slot's next
    // token, so the oldest prompt's always fits; later ones follow while the step has room.
    const size_t chunk = size_t(std::max(1, opts_.n_ubatch - n_slots()));
    for (Slot* s : reading) {
        const size_t rest = s->job->prompt.size() - s->n_read;
        const size_t n = std::min(rest, chunk);
        if (int(n) > budget && s != reading.front()) break;
        const bool last = n == rest;
        batch.push_back({s->seq, std::vector<int32_t>(s->job->prompt.begin() + long(s->n_read),
                                                      s->job->prompt.begin() + long(s->n_read + n)), last});
        in_batch.push_back(s);
        if (last) with_logits.push_back(s);
        budget -= int(n);
    }
    if (batch.empty()) return;

    try {
        session_->decode_batch(batch);
    } catch (const std::exception& e) {
        // Not expected (prompts and context room are checked before): end the requests of this step
        // rather than retry forever, and forget their sequences in case they were partly written.
        std::fprintf(stderr, "serve: decode failed: %s\n", e.what());
        Job::Result r = error_result(500, std::string("decoding failed: ") + e.what(), "decode_failed");
        for (Slot* s : in_batch) {
            session_->clear_seq(s->seq);
            s->cached.clear();
            release(*s, &r);
        }
        return;
    }
    for (size_t i = 0; i < batch.size(); i++) {
        Slot& s = *in_batch[i];
        s.cached.insert(s.cached.end(), batch[i].tokens.begin(), batch[i].tokens.end());
        if (!s.generating) s.n_read += batch[i].tokens.size();
    }
    // Logits rows follow the entries that asked for them, in batch order; generating slots come first
    // and the prompt that ended in this step after them, as with_logits lists them.
    // Each slot's sampler reads its own logits, so the slots sample in parallel (a large vocabulary's scan
    // per token adds up over many slots), then take their tokens in order. The logits rows have the model's
    // width; a tokenizer never names more (a padded one may name fewer).
    const int32_t n_vocab = std::min(int32_t(model_.tokenizer().n_vocab()), int32_t(model_.hparams().n_vocab));
    std::vector<int32_t> picked(with_logits.size());
    ggml::parallel_for(int64_t(with_logits.size()), ggml::default_threads(), [&](int64_t i) {
        picked[size_t(i)] = with_logits[size_t(i)]->sampler->sample(session_->logits(int(i)), n_vocab);
    });
    for (size_t i = 0; i < with_logits.size(); i++) take(*with_logits[i], picked[i]);
}

void Engine::take(Slot& s, int32_t t) {
    const giraffe::Tokenizer& tok = model_.tokenizer();
    s.generating = true;
    Job::Result r;
    std::string text;
    if (tok.is_eog(t)) {
        r.finish_reason = "stop";
        text = s.decoder->flush();
    } else {
        s.sampler->accept(t);
        s.n_generated++;
        {
            std::lock_guard<std::mutex> lk(mu_);
            stats_.generated_tokens++;
        }
        text = s.decoder->push(t);
        if (s.n_generated >= s.job->max_tokens || session_->n_past(s.seq) >= n_ctx_) {
            // Out of tokens or of context: the next token could not be decoded.
            r.finish_reason = "length";
            text += s.decoder->flush();
        }
        s.next = t;
    }
    s.held += text;
    size_t hold = 0;
    const size_t at = find_stop(s.held, s.job->stop, &hold);
    if (at != std::string::npos) {
        s.job->emit(s.held.substr(0, at));
        s.held.clear();
        r.finish_reason = "stop";
    } else if (!r.finish_reason.empty()) {
        s.job->emit(s.held);  // the end: nothing more can complete a stop string
        s.held.clear();
    } else {
        s.job->emit(s.held.substr(0, s.held.size() - hold));
        s.held.erase(0, s.held.size() - hold);
    }
    if (!r.finish_reason.empty()) release(s, &r);
}

void Engine::update_stats() {
    EngineStats st;
    st.slots = int(slots_.size());
    st.kv_total = int64_t(slots_.size()) * n_ctx_;
    for (auto& s : slots_) {
        const int64_t n = session_->n_past(s->seq);
        if (s->job) {
            st.slots_busy++;
            st.kv_used += n;
        } else {
            st.kv_cached_idle += n;
        }
    }
    std::lock_guard<std::mutex> lk(mu_);
    st.queued = int(queue_.size());
    st.prompt_tokens = stats_.prompt_tokens;
    st.reused_tokens = stats_.reused_tokens;
    st.generated_tokens = stats_.generated_tokens;
    stats_ = st;
}

}  // namespace cli::serve
