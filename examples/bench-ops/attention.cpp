// Fused attention (op_flash_attn) at depth, as a model runs it: one KV cache per layer, the layers in turn,
// so a decode token streams every layer's keys and values from memory. Prints the time per token (all
// layers), the KV bytes read per second and their share of a plain read of memory, and the prefill rate of
// the attention alone (512 tokens at the depth, causal mask).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "backends/cpu/ops/ops.h"
#include "ggml/ops.h"
#include "ggml/quants.h"
#include "ggml/tensor.h"
#include "ggml/type.h"

void bench_attention(int threads, int reps, bool json, double read_gbs);

namespace {

struct AttnShape {
    const char* name;
    int64_t hd, n_head, n_kv_head, n_layer;
};

// [hd * kv heads, cells] rows of the cache type, 64-byte aligned like the runtime's buffers (a head's
// rows then start on a cache line, which decode's prefetches assume).
struct Layer {
    std::unique_ptr<uint8_t, void (*)(void*)> k{nullptr, std::free}, v{nullptr, std::free};
};

double seconds(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Attention of n tokens at positions depth .. depth + n - 1 over depth + n cells of every layer; seconds.
double run_tokens(const AttnShape& s, ggml::Type t, std::vector<Layer>& layers, int64_t depth, int64_t n, int threads) {
    const int64_t n_kv = depth + n;
    ggml::Context c;
    std::vector<float> q(size_t(s.hd * s.n_head * n), 0.1f), out(size_t(s.hd * s.n_head * n));
    std::vector<float> mask(size_t(n_kv * n));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n_kv; j++) mask[size_t(i * n_kv + j)] = j <= depth + i ? 0.0f : -INFINITY;
    ggml::Tensor* qt = c.new_tensor(ggml::Type::F32, {s.hd, n, s.n_head});
    ggml::Tensor* mt = c.new_tensor(ggml::Type::F32, {n_kv, n});
    ggml::Tensor* dst = c.new_tensor(ggml::Type::F32, {s.hd, s.n_head, n});
    qt->data = q.data(), mt->data = mask.data(), dst->data = out.data();
    const size_t row = ggml::row_size(t, s.hd * s.n_kv_head), head = ggml::row_size(t, s.hd);
    const auto t0 = std::chrono::steady_clock::now();
    for (Layer& l : layers) {
        ggml::Tensor* kc = c.new_tensor(t, {s.hd * s.n_kv_head, n_kv});
        ggml::Tensor* vc = c.new_tensor(t, {s.hd * s.n_kv_head, n_kv});
        kc->data = l.k.get(), vc->data = l.v.get();
        ggml::Tensor* k = ggml::view_3d(c, kc, s.hd, n_kv, s.n_kv_head, row, head, 0);
        ggml::Tensor* v = ggml::view_3d(c, vc, s.hd, n_kv, s.n_kv_head, row, head, 0);
        k->data = kc->data, v->data = vc->data;  // no allocator here to resolve the views
        dst->op = ggml::Op::FlashAttn;
        dst->src[0] = qt, dst->src[1] = k, dst->src[2] = v, dst->src[3] = mt;
        dst->set_param(0, 1.0f / std::sqrt(float(s.hd)));
        ggml::cpu::op_flash_attn(dst, {threads});
    }
    return seconds(t0);
}

}  // namespace

void bench_attention(int threads, int reps, bool json, double read_gbs) {
    const AttnShape shapes[] = {{"tinyllama", 64, 32, 4, 22}, {"gemma3-270m", 256, 4, 1, 3}};
    for (const AttnShape& s : shapes)
        for (ggml::Type t : {ggml::Type::F16, ggml::Type::Q8_0, ggml::Type::Q4_0})
            for (int64_t depth : {int64_t(4096), int64_t(16384)}) {
                const int64_t cells = depth + 512;
                std::vector<Layer> layers(size_t(s.n_layer));
                std::vector<float> f(size_t(s.hd * s.n_kv_head * cells));
                std::mt19937 rng(1);
                std::uniform_real_distribution<float> u(-1.0f, 1.0f);
                for (float& x : f) x = u(rng);
                const size_t leaf_bytes = ggml::row_size(t, s.hd * s.n_kv_head) * size_t(cells);
                for (Layer& l : layers)
                    for (auto* b : {&l.k, &l.v}) {
                        b->reset(static_cast<uint8_t*>(std::aligned_alloc(64, (leaf_bytes + 63) / 64 * 64)));
                        ggml::quantize_rows(t, f.data(), b->get(), cells, s.hd * s.n_kv_head, 0);
                    }
                run_tokens(s, t, layers, depth, 1, threads);  // warm-up
                double best = 1e300, total = 0;
                for (int r = 0; r < reps * 4; r++) {
                    const double sec = run_tokens(s, t, layers, depth, 1, threads);
                    best = std::min(best, sec), total += sec;
                }
                const double mean = total / (reps * 4);
                const double bytes = 2.0 * double(ggml::row_size(t, s.hd * s.n_kv_head)) * double(depth + 1) * double(s.n_layer);
                const double pp = 512.0 / run_tokens(s, t, layers, depth, 512, threads);
                if (json)
                    std::printf("{\"bench\":\"flash_attn\",\"shape\":\"%s\",\"type\":\"%s\",\"depth\":%lld,\"layers\":%lld,"
                                "\"tg_ms\":%.3f,\"tg_best_ms\":%.3f,\"kv_gbs\":%.2f,\"read_share\":%.3f,\"pp512_tps\":%.1f}\n",
                                s.name, ggml::type_name(t), (long long)depth, (long long)s.n_layer, mean * 1e3, best * 1e3,
                                bytes / best * 1e-9, bytes / best * 1e-9 / read_gbs, pp);
                else
                    std::printf("flash_attn %-11s %-4s depth %-6lld %2lld layers: decode %7.3f ms/token (best %.3f), KV read "
                                "%5.1f GB/s = %3.0f%% of memory read; pp512 %7.1f tokens/s\n",
                                s.name, ggml::type_name(t), (long long)depth, (long long)s.n_layer, mean * 1e3, best * 1e3,
                                bytes / best * 1e-9, 100.0 * bytes / best * 1e-9 / read_gbs, pp);
                std::fflush(stdout);
            }
}
