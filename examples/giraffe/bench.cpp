// giraffe bench: prompt processing (pp) and token generation (tg) speed, mean ± std over repetitions
// after a warm-up, optionally at a depth (tokens already in the cache). Prints the memory-bandwidth floor
// for generation: the bytes one decode step must read / the measured read bandwidth.
#include <omp.h>

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

}  // namespace

int cmd_bench(const Args& a) {
    require_model(a);
    const int n_prompt = a.prompt.empty() ? 512 : std::stoi(a.prompt);
    const int n_gen = a.n_predict;
    if (n_prompt < 0 || n_gen < 0 || a.depth < 0 || a.reps < 1) throw std::invalid_argument("bench sizes must be positive");
    auto model = giraffe::Model::load(a.model, model_options(a));
    const giraffe::HParams& hp = model->hparams();
    Args sa = a;
    sa.n_ctx = std::max(a.n_ctx, a.depth + std::max(n_prompt, n_gen + 2) + 1);  // 2: the warm-up tokens below
    giraffe::Session s(*model, session_params(sa, hp));
    const int threads = a.n_threads > 0 ? a.n_threads : omp_get_max_threads();

    std::mt19937 rng(42);
    std::uniform_int_distribution<int32_t> tok(0, hp.n_vocab - 1);
    auto random_tokens = [&](int n) {
        std::vector<int32_t> v(static_cast<size_t>(n));
        for (int32_t& t : v) t = tok(rng);
        return v;
    };
    auto prefill_depth = [&] {
        s.clear();
        if (a.depth > 0) s.decode(random_tokens(a.depth));
    };

    // With a GPU, which device and how many layers it ran (the floor lines below stay the host's).
    const std::string device_note = model->gpu() ? "  on " + model->gpu()->description() + ", " +
                                                       std::to_string(model->n_gpu_layers()) + " layers" : "";
    auto report = [&](const char* kind, int n, const std::vector<double>& tps) {
        const Stats st = stats(tps);
        const std::string test = std::string(kind) + std::to_string(n);
        if (a.json)
            std::printf("{\"test\": \"%s\", \"depth\": %d, \"threads\": %d, \"device\": \"%s\", \"tokens_per_s\": %.3f, \"std\": %.3f}\n",
                        test.c_str(), a.depth, threads, a.device.c_str(), st.mean, st.std);
        else
            std::printf("%-8s depth %-6d threads %-3d %10.2f ± %.2f tokens/s%s\n", test.c_str(), a.depth, threads, st.mean,
                        st.std, device_note.c_str());
        std::fflush(stdout);
    };

    // Memory: the weights and the KV cache as allocated for this context, in the session's cache types.
    const giraffe::KvTypes& kvt = s.kv().types();
    if (a.json)
        std::printf("{\"test\": \"memory\", \"n_ctx\": %d, \"weights_bytes\": %zu, \"kv_bytes\": %zu, \"cache_k\": \"%s\", "
                    "\"cache_v\": \"%s\"}\n", s.n_ctx(), model->weight_bytes(), s.kv().bytes(), ggml::type_name(kvt.k),
                    ggml::type_name(kvt.v));
    else
        std::printf("memory   weights %.1f MiB, KV cache %.1f MiB for %d tokens (K %s, V %s)\n",
                    double(model->weight_bytes()) / 1048576.0, double(s.kv().bytes()) / 1048576.0, s.n_ctx(),
                    ggml::type_name(kvt.k), ggml::type_name(kvt.v));

    if (n_prompt > 0) {
        std::vector<double> tps;
        for (int r = -1; r < a.reps; r++) {  // r = -1: warm-up
            prefill_depth();
            const auto toks = random_tokens(n_prompt);
            const auto t0 = std::chrono::steady_clock::now();
            s.decode(toks);
            if (r >= 0) tps.push_back(n_prompt / seconds_since(t0));
        }
        report("pp", n_prompt, tps);
    }
    if (n_gen > 0) {
        // The floor: every weight (but the embedding table, of which one row is read) plus the live KV cache,
        // over the read bandwidth. A shared machine's bandwidth drifts (a neighbour's load comes and goes
        // within seconds), so it is read two ways: the best full probe pass (before and after the runs) gives
        // the conservative floor, and a slice of the probe read between every kSampleEvery tokens (outside
        // the timed tokens) samples the bandwidth over each run's own window: each run is held to that.
        constexpr int kSampleEvery = 8;
        constexpr size_t kSampleBytes = size_t(128) << 20;
        double bytes = double(model->weight_bytes());
        if (!model->output_tied()) bytes -= double(model->weights().tok_embd->nbytes());
        bytes += double(kv_bytes_read(s, hp, a.depth + n_gen / 2));
        std::unique_ptr<ggml::cpu::ReadProbe> probe;
        try {
            probe = std::make_unique<ggml::cpu::ReadProbe>(threads);
        } catch (const std::bad_alloc&) {
            std::fprintf(stderr, "bench: no memory for the bandwidth probe, the floor is not measured\n");
        }
        double best = probe ? probe->best_gbs(4) : 0;
        std::vector<double> tps, paired_gbs, paired_share;
        // Each run starts from a fresh prefill of the depth; a few untimed tokens first warm it up (a whole
        // warm-up run would prefill the depth once more, minutes at 8K-32K on a small machine).
        constexpr int kWarmTokens = 2;
        for (int r = 0; r < a.reps; r++) {
            prefill_depth();
            for (int i = 0; i < kWarmTokens; i++) s.decode({tok(rng)});
            double token_s = 0, sample_s = 0, sampled = 0;
            for (int i = 0; i < n_gen; i++) {
                if (probe && i % kSampleEvery == 0) sample_s += probe->slice_seconds(kSampleBytes), sampled += kSampleBytes;
                const auto t0 = std::chrono::steady_clock::now();
                s.decode({tok(rng)});
                token_s += seconds_since(t0);
            }
            tps.push_back(n_gen / token_s);
            if (!probe) continue;
            paired_gbs.push_back(sampled / sample_s / 1e9);
            paired_share.push_back(tps.back() * bytes / (paired_gbs.back() * 1e9));
        }
        report("tg", n_gen, tps);
        if (!probe) return 0;
        best = std::max(best, probe->best_gbs(4));
        const double floor_tps = best * 1e9 / bytes, share = stats(tps).mean / floor_tps;
        const Stats pg = stats(paired_gbs), ps = stats(paired_share);
        if (a.json)
            std::printf("{\"test\": \"tg_floor\", \"depth\": %d, \"threads\": %d, \"read_gbs\": %.2f, \"bytes_per_token\": %.0f, "
                        "\"tokens_per_s\": %.3f, \"share\": %.3f, \"paired_read_gbs\": %.2f, \"paired_share\": %.3f, "
                        "\"paired_share_std\": %.3f}\n", a.depth, threads, best, bytes, floor_tps, share, pg.mean, ps.mean, ps.std);
        else
            std::printf("floor    read bandwidth %.2f GB/s (best pass), %.1f MiB per token -> at most %.2f tokens/s (%.0f%% reached)\n"
                        "paired   read bandwidth %.2f GB/s sampled between the tokens -> %.0f ± %.0f%% of that floor reached\n",
                        best, bytes / 1048576.0, floor_tps, 100.0 * share, pg.mean, 100.0 * ps.mean, 100.0 * ps.std);
    }
    return 0;
}

}  // namespace cli
