// giraffe bench: prompt processing (pp) and token generation (tg) speed, mean ± std over repetitions
// after a warm-up, optionally at a depth (tokens already in the cache). -p, -n and -d take lists, as
// llama-bench's do: every depth runs a pp test per prompt length and a tg test per generation length.
// Prints the memory-bandwidth floor for generation: the bytes one decode step must read / the measured
// read bandwidth.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <new>
#include <random>
#include <stdexcept>

#include "backends/cpu/bandwidth.h"
#include "commands.h"
#include "ggml/threads.h"
#include "model.h"
#include "session.h"

namespace cli {
namespace {

struct Stats {
    double mean = 0, std = 0;
};

Stats stats(const std::vector<double>& v) {
    Stats s;
    for (double x : v) s.mean += x;
    s.mean /= double(v.size());
    for (double x : v) s.std += (x - s.mean) * (x - s.mean);
    s.std = v.size() > 1 ? std::sqrt(s.std / double(v.size() - 1)) : 0.0;
    return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Bytes of keys and values one token reads at position p: every layer's attended cells (a sliding layer's
// ring at most), at its cache types.
size_t kv_bytes_read(const giraffe::Session& s, const giraffe::HParams& hp, int p) {
    const giraffe::KvCache& kv = s.kv();
    const size_t cell = ggml::row_size(kv.types().k, int64_t(hp.head_dim_k) * hp.n_head_kv) +
                        ggml::row_size(kv.types().v, int64_t(hp.head_dim_v) * hp.n_head_kv);
    size_t n = 0;
    for (int il = 0; il < hp.n_layer; il++) n += size_t(kv.n_attend(kv.ring_of(il), p + 1)) * cell;
    return n;
}

// One model and session sized for the largest test; runs the tests and prints a line (or JSON object) each.
class Bench {
public:
    Bench(const Args& a, int n_ctx) : a_(a), model_(giraffe::Model::load(a.model, model_options(a))) {
        Args sa = a;
        sa.n_ctx = n_ctx;
        session_ = std::make_unique<giraffe::Session>(*model_, session_params(sa, model_->hparams()));
        threads_ = a.n_threads > 0 ? a.n_threads : ggml::default_threads();
        tok_ = std::uniform_int_distribution<int32_t>(0, model_->hparams().n_vocab - 1);
        // With a GPU, which device and how many layers it ran (the floor lines below stay the host's).
        if (model_->gpu())
            device_note_ = "  on " + model_->gpu()->description() + ", " + std::to_string(model_->n_gpu_layers()) + " layers";
    }

    // The weights and the KV cache as allocated for this context, in the session's cache types.
    void report_memory() const {
        const giraffe::Session& s = *session_;
        const giraffe::KvTypes& kvt = s.kv().types();
        if (a_.json)
            std::printf("{\"test\": \"memory\", \"n_ctx\": %d, \"weights_bytes\": %zu, \"kv_bytes\": %zu, \"cache_k\": \"%s\", "
                        "\"cache_v\": \"%s\"}\n", s.n_ctx(), model_->weight_bytes(), s.kv().bytes(), ggml::type_name(kvt.k),
                        ggml::type_name(kvt.v));
        else
            std::printf("memory   weights %.1f MiB, KV cache %.1f MiB for %d tokens (K %s, V %s)\n",
                        double(model_->weight_bytes()) / 1048576.0, double(s.kv().bytes()) / 1048576.0, s.n_ctx(),
                        ggml::type_name(kvt.k), ggml::type_name(kvt.v));
        std::fflush(stdout);
    }

    void prompt_test(int depth, int n_prompt) {
        std::vector<double> tps;
        for (int r = -1; r < a_.reps; r++) {  // r = -1: warm-up
            prefill(depth);
            const auto toks = random_tokens(n_prompt);
            const auto t0 = std::chrono::steady_clock::now();
            session_->decode(toks);
            if (r >= 0) tps.push_back(n_prompt / seconds_since(t0));
        }
        report("pp", n_prompt, depth, tps);
    }

    // The floor: every weight (but the embedding table, of which one row is read) plus the live KV cache,
    // over the read bandwidth. A shared machine's bandwidth drifts (a neighbour's load comes and goes
    // within seconds), so it is read two ways: the best full probe pass (before and after the runs) gives
    // the conservative floor, and a slice of the probe read between every kSampleEvery tokens (outside
    // the timed tokens) samples the bandwidth over each run's own window: each run is held to that.
    void generation_test(int depth, int n_gen) {
        constexpr int kSampleEvery = 8;
        constexpr size_t kSampleBytes = size_t(128) << 20;
        double bytes = double(model_->weight_bytes());
        if (!model_->output_tied()) bytes -= double(model_->weights().tok_embd->nbytes());
        bytes += double(kv_bytes_read(*session_, model_->hparams(), depth + n_gen / 2));
        ggml::cpu::ReadProbe* probe = read_probe();
        if (probe) best_gbs_ = std::max(best_gbs_, probe->best_gbs(4));
        std::vector<double> tps, paired_gbs, paired_share;
        // Each run starts from a fresh prefill of the depth; a few untimed tokens first warm it up (a whole
        // warm-up run would prefill the depth once more, minutes at 8K-32K on a small machine).
        for (int r = 0; r < a_.reps; r++) {
            prefill(depth);
            for (int i = 0; i < kWarmTokens; i++) session_->decode({tok_(rng_)});
            double token_s = 0, sample_s = 0, sampled = 0;
            for (int i = 0; i < n_gen; i++) {
                if (probe && i % kSampleEvery == 0) sample_s += probe->slice_seconds(kSampleBytes), sampled += kSampleBytes;
                const auto t0 = std::chrono::steady_clock::now();
                session_->decode({tok_(rng_)});
                token_s += seconds_since(t0);
            }
            tps.push_back(n_gen / token_s);
            if (!probe) continue;
            paired_gbs.push_back(sampled / sample_s / 1e9);
            paired_share.push_back(tps.back() * bytes / (paired_gbs.back() * 1e9));
        }
        report("tg", n_gen, depth, tps);
        if (!probe) return;
        best_gbs_ = std::max(best_gbs_, probe->best_gbs(4));
        report_floor(depth, bytes, stats(tps).mean, stats(paired_gbs), stats(paired_share));
    }

    static constexpr int kWarmTokens = 2;  // untimed tokens before each generation run

private:
    std::vector<int32_t> random_tokens(int n) {
        std::vector<int32_t> v(static_cast<size_t>(n));
        for (int32_t& t : v) t = tok_(rng_);
        return v;
    }

    void prefill(int depth) {
        session_->clear();
        if (depth > 0) session_->decode(random_tokens(depth));
    }

    // The bandwidth probe, made at the first generation test; null when there is no memory for it.
    ggml::cpu::ReadProbe* read_probe() {
        if (probe_tried_) return probe_.get();
        probe_tried_ = true;
        try {
            probe_ = std::make_unique<ggml::cpu::ReadProbe>(threads_);
        } catch (const std::bad_alloc&) {
            std::fprintf(stderr, "bench: no memory for the bandwidth probe, the floor is not measured\n");
        }
        return probe_.get();
    }

    void report(const char* kind, int n, int depth, const std::vector<double>& tps) const {
        const Stats st = stats(tps);
        const std::string test = std::string(kind) + std::to_string(n);
        if (a_.json)
            std::printf("{\"test\": \"%s\", \"depth\": %d, \"threads\": %d, \"device\": \"%s\", \"tokens_per_s\": %.3f, \"std\": %.3f}\n",
                        test.c_str(), depth, threads_, a_.device.c_str(), st.mean, st.std);
        else
            std::printf("%-8s depth %-6d threads %-3d %10.2f ± %.2f tokens/s%s\n", test.c_str(), depth, threads_, st.mean,
                        st.std, device_note_.c_str());
        std::fflush(stdout);
    }

    void report_floor(int depth, double bytes, double tps, const Stats& pg, const Stats& ps) const {
        const double floor_tps = best_gbs_ * 1e9 / bytes, share = tps / floor_tps;
        if (a_.json)
            std::printf("{\"test\": \"tg_floor\", \"depth\": %d, \"threads\": %d, \"read_gbs\": %.2f, \"bytes_per_token\": %.0f, "
                        "\"tokens_per_s\": %.3f, \"share\": %.3f, \"paired_read_gbs\": %.2f, \"paired_share\": %.3f, "
                        "\"paired_share_std\": %.3f}\n", depth, threads_, best_gbs_, bytes, floor_tps, share, pg.mean, ps.mean, ps.std);
        else
            std::printf("floor    read bandwidth %.2f GB/s (best pass), %.1f MiB per token -> at most %.2f tokens/s (%.0f%% reached)\n"
                        "paired   read bandwidth %.2f GB/s sampled between the tokens -> %.0f ± %.0f%% of that floor reached\n",
                        best_gbs_, bytes / 1048576.0, floor_tps, 100.0 * share, pg.mean, 100.0 * ps.mean, 100.0 * ps.std);
        std::fflush(stdout);
    }

    const Args& a_;
    std::unique_ptr<giraffe::Model> model_;
    std::unique_ptr<giraffe::Session> session_;
    int threads_ = 1;
    std::string device_note_;
    std::mt19937 rng_{42};
    std::uniform_int_distribution<int32_t> tok_;
    std::unique_ptr<ggml::cpu::ReadProbe> probe_;
    bool probe_tried_ = false;
    double best_gbs_ = 0;
};

}  // namespace

int cmd_bench(const Args& a) {
    require_model(a);
    const int max_prompt = *std::max_element(a.bench_prompt.begin(), a.bench_prompt.end());
    const int max_gen = *std::max_element(a.bench_gen.begin(), a.bench_gen.end());
    const int max_depth = *std::max_element(a.bench_depth.begin(), a.bench_depth.end());
    Bench bench(a, std::max(a.n_ctx, max_depth + std::max(max_prompt, max_gen + Bench::kWarmTokens) + 1));
    bench.report_memory();
    for (int depth : a.bench_depth) {
        for (int n : a.bench_prompt)
            if (n > 0) bench.prompt_test(depth, n);
        for (int n : a.bench_gen)
            if (n > 0) bench.generation_test(depth, n);
    }
    return 0;
}

}  // namespace cli
