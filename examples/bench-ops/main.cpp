// bench-ops: op micro-benchmarks for the CPU backend. mul_mat GFLOPS for F32 / F16 / BF16 weights at LLM
// shapes (prefill and decode), OpenBLAS sgemm on the same problem for scale, memory-read bandwidth, and
// quantized weights: matrix x vector as weight GB/s (% of a plain read of the same memory, interleaved
// with the calls; the weights rotate through copies larger than the last-level cache, so every call
// streams them from memory) and matrix x matrix
// (N = 512) as int8 GOPS (2 M N K / s).
// Last, fused attention at depth (attention.cpp).
//   bench-ops [-t threads] [-r reps] [--json] [--quant-only] [--no-quant-prefill] [--attention-only]
#include "ggml/threads.h"
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/bandwidth.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/features.h"
#include "backends/cpu/repack.h"
#include "backends/cpu/ops/ops.h"
#include "ggml/quants.h"
#include "ggml/tensor.h"
#include "ggml/type.h"

#if defined(GIRAFFE_HAVE_OPENBLAS)
#include <cblas.h>
extern "C" void openblas_set_num_threads(int num_threads);
#endif

void bench_attention(int threads, int reps, bool json, double read_gbs);  // attention.cpp

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    int threads = 0;
    int reps = 5;
    bool json = false;
    bool quant_only = false;
    bool no_prefill = false;  // skip the quantized matrix x matrix figures
    bool attention_only = false;
};

struct AlignedBuf {
    void* p = nullptr;
    explicit AlignedBuf(size_t bytes) : p(ggml::host_alloc(bytes)) {}  // as CPU buffers (weights) are
    ~AlignedBuf() { std::free(p); }
    AlignedBuf(const AlignedBuf&) = delete;
    AlignedBuf& operator=(const AlignedBuf&) = delete;
};

struct Stats {
    double mean_s = 0, best_s = 0;
};

template <class F>
Stats time_it(int reps, F&& f) {
    f();  // warm-up
    Stats s;
    s.best_s = 1e300;
    double total = 0;
    for (int r = 0; r < reps; r++) {
        const auto t0 = Clock::now();
        f();
        const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
        total += dt;
        s.best_s = std::min(s.best_s, dt);
    }
    s.mean_s = total / reps;
    return s;
}

void report(const Options& o, const std::string& name, const std::string& type, int64_t M, int64_t N, int64_t K,
            const Stats& s, double flops, double bytes, const char* extra_json = "", const char* extra_text = "") {
    const double gf_mean = flops / s.mean_s * 1e-9, gf_best = flops / s.best_s * 1e-9;
    if (o.json) {
        std::printf("{\"bench\":\"%s\",\"type\":\"%s\",\"M\":%lld,\"N\":%lld,\"K\":%lld,\"threads\":%d,"
                    "\"mean_ms\":%.4f,\"best_ms\":%.4f,\"gflops_mean\":%.2f,\"gflops_best\":%.2f",
                    name.c_str(), type.c_str(), (long long)M, (long long)N, (long long)K, o.threads,
                    s.mean_s * 1e3, s.best_s * 1e3, gf_mean, gf_best);
        if (bytes > 0) std::printf(",\"weight_gbs_mean\":%.2f,\"weight_gbs_best\":%.2f", bytes / s.mean_s * 1e-9, bytes / s.best_s * 1e-9);
        std::printf("%s}\n", extra_json);
    } else {
        std::printf("%-10s %-7s M=%-5lld N=%-4lld K=%-5lld  mean %8.3f ms  best %8.3f ms  %7.1f GFLOPS (best %7.1f)",
                    name.c_str(), type.c_str(), (long long)M, (long long)N, (long long)K, s.mean_s * 1e3,
                    s.best_s * 1e3, gf_mean, gf_best);
        if (bytes > 0) std::printf("  weights %6.1f GB/s (best %6.1f)", bytes / s.mean_s * 1e-9, bytes / s.best_s * 1e-9);
        std::printf("%s\n", extra_text);
    }
    std::fflush(stdout);
}

void fill_random(float* p, size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    for (size_t i = 0; i < n; i++) p[i] = d(rng);
}

// One mul_mat problem: a [K, M] weights of `type`, b [K, N] f32, dst [M, N].
struct MatMul {
    ggml::Context ctx;
    ggml::Tensor *a, *b, *d;
    AlignedBuf abuf, bbuf, dbuf;
    std::vector<float> af32;  // the weights as f32 (for OpenBLAS)
    MatMul(ggml::Type type, int64_t M, int64_t N, int64_t K)
        : a(ctx.new_tensor(type, {K, M})), b(ctx.new_tensor(ggml::Type::F32, {K, N})),
          d(ctx.new_tensor(ggml::Type::F32, {M, N})), abuf(a->nbytes()), bbuf(b->nbytes()), dbuf(d->nbytes()) {
        a->data = abuf.p, b->data = bbuf.p, d->data = dbuf.p;
        af32.resize(size_t(M * K));
        fill_random(af32.data(), af32.size(), 1);
        if (type == ggml::Type::F32) std::memcpy(a->data, af32.data(), af32.size() * 4);
        else ggml::quantize_rows(type, af32.data(), a->data, M, K, 0);
        if (type != ggml::Type::F32) ggml::type_traits(type).to_float(a->data, af32.data(), int64_t(af32.size()));
        fill_random(static_cast<float*>(b->data), size_t(N * K), 2);
        d->op = ggml::Op::MulMat;
        d->src[0] = a, d->src[1] = b;
    }
    void run(int threads) { ggml::cpu::op_mul_mat(d, {threads}); }
    // Interleaves the weights into the CPU decode layout (backends/cpu/repack.h), as model loading does.
    void repack() { packed = cpu->prepare_product_weights({a}); }
    std::unique_ptr<ggml::Backend> cpu = ggml::make_cpu_backend(1);
    std::unique_ptr<ggml::Buffer> packed;  // the interleaved weights a points into after repack()
};

void bench_mul_mat(const Options& o, ggml::Type type, int64_t M, int64_t N, int64_t K, bool with_blas) {
    MatMul mm(type, M, N, K);
    const double flops = 2.0 * double(M) * double(N) * double(K);
    const double bytes = N == 1 ? double(mm.a->nbytes()) : 0.0;
    const Stats s = time_it(o.reps, [&] { mm.run(o.threads); });
#if defined(GIRAFFE_HAVE_OPENBLAS)
    if (with_blas) {
        openblas_set_num_threads(o.threads);
        std::vector<float> c(size_t(M * N));
        // dst[n][m] = sum_k a[m][k] b[n][k]: column-major C (M x N, ld M) = A^T (A stored K x M) * B (K x N).
        const Stats sb = time_it(o.reps, [&] {
            cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, int(M), int(N), int(K), 1.0f, mm.af32.data(),
                        int(K), static_cast<const float*>(mm.b->data), int(K), 0.0f, c.data(), int(M));
        });
        double max_diff = 0, max_abs = 0;  // sanity: both compute the same product
        const float* d = static_cast<const float*>(mm.d->data);
        for (size_t i = 0; i < c.size(); i++) {
            max_diff = std::max(max_diff, double(std::abs(c[i] - d[i])));
            max_abs = std::max(max_abs, double(std::abs(c[i])));
        }
        const double max_rel = max_diff / (max_abs + 1e-30);
        const double ratio_mean = sb.mean_s / s.mean_s, ratio_best = sb.best_s / s.best_s;
        report(o, "openblas", "f32", M, N, K, sb, flops, 0);
        char ej[160], et[160];
        std::snprintf(ej, sizeof ej, ",\"vs_openblas_mean\":%.3f,\"vs_openblas_best\":%.3f,\"max_rel_diff\":%.2e",
                      ratio_mean, ratio_best, max_rel);
        std::snprintf(et, sizeof et, "  = %.0f%% of OpenBLAS (best %.0f%%)", ratio_mean * 100, ratio_best * 100);
        report(o, "mul_mat", ggml::type_name(type), M, N, K, s, flops, bytes, ej, et);
        return;
    }
#else
    (void)with_blas;
#endif
    report(o, "mul_mat", ggml::type_name(type), M, N, K, s, flops, bytes);
}

double bench_bandwidth(const Options& o) {
    const size_t bytes = size_t(1) << 30;
    AlignedBuf buf(bytes);
    uint8_t* p = static_cast<uint8_t*>(buf.p);
    // first touch by the threads that read it
    ggml::parallel_for_static(int64_t(bytes / 4096), o.threads, [&](int64_t i) { p[i * 4096] = 1; });
    const Stats s = time_it(o.reps, [&] { ggml::cpu::read_pass_seconds(p, bytes, o.threads); });
    const double gb = double(bytes) * 1e-9;
    if (o.json) {
        std::printf("{\"bench\":\"mem_read\",\"bytes\":%zu,\"threads\":%d,\"gbs_mean\":%.2f,\"gbs_best\":%.2f}\n",
                    bytes, o.threads, gb / s.mean_s, gb / s.best_s);
    } else {
        std::printf("mem_read   1 GiB          mean %.1f GB/s  best %.1f GB/s\n", gb / s.mean_s, gb / s.best_s);
    }
    return gb / s.best_s;
}

// The last-level cache's size where the C library tells it (96 MiB otherwise: the largest seen here).
size_t last_level_cache_bytes() {
    long l3 = -1;
#if defined(_SC_LEVEL3_CACHE_SIZE)
    l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
    return l3 > 0 ? size_t(l3) : size_t(96) << 20;
}

// Quantized weights, matrix x vector: `copies` copies of the weights (together > 2x the last-level cache)
// are used in turn, so each call reads its weights from memory as a decode step does. Every call alternates
// with a plain read (read_pass_seconds) of another copy, so the kernel is held to the read bandwidth of
// the same memory at the same moment (a shared machine's bandwidth drifts between seconds).
void bench_quant_decode(const Options& o, ggml::Type type, int64_t M, int64_t K, bool repacked) {
    MatMul mm(type, M, 1, K);
    if (repacked) mm.repack();
    const size_t wbytes = mm.a->nbytes();
    const int copies = int(std::max<size_t>(3, 2 * last_level_cache_bytes() / wbytes + 1));
    std::vector<AlignedBuf*> bufs;
    for (int c = 0; c < copies; c++) {
        bufs.push_back(new AlignedBuf(wbytes));
        std::memcpy(bufs.back()->p, mm.a->data, wbytes);
    }
    // Warm-up, then reps of (kernel on one copy, plain read of the copy half the ring away, which neither
    // the kernel read lately nor will read soon), each timed on its own.
    Stats s, read;
    s.best_s = read.best_s = 1e300;
    const int reps = std::max(o.reps, 20);
    for (int r = -1, next = 0; r < reps; r++, next = (next + 1) % copies) {
        mm.a->data = bufs[size_t(next)]->p;
        const auto t0 = Clock::now();
        mm.run(o.threads);
        const double k = std::chrono::duration<double>(Clock::now() - t0).count();
        const double rd = ggml::cpu::read_pass_seconds(bufs[size_t((next + copies / 2) % copies)]->p, wbytes / 64 * 64, o.threads);
        if (r < 0) continue;
        s.mean_s += k / reps, s.best_s = std::min(s.best_s, k);
        read.mean_s += rd / reps, read.best_s = std::min(read.best_s, rd);
    }
    for (AlignedBuf* b : bufs) delete b;
    const double read_mean = double(wbytes / 64 * 64) / read.mean_s * 1e-9;
    const double read_best = double(wbytes / 64 * 64) / read.best_s * 1e-9;
    const double gbs_mean = double(wbytes) / s.mean_s * 1e-9, gbs_best = double(wbytes) / s.best_s * 1e-9;
    char ej[200], et[200];
    std::snprintf(ej, sizeof ej, ",\"read_gbs_mean\":%.2f,\"read_gbs_best\":%.2f,\"pct_of_read_mean\":%.1f,\"pct_of_read_best\":%.1f",
                  read_mean, read_best, 100.0 * gbs_mean / read_mean, 100.0 * gbs_best / read_best);
    std::snprintf(et, sizeof et, "  = %.0f%% of read %.1f GB/s (best %.0f%% of %.1f)", 100.0 * gbs_mean / read_mean,
                  read_mean, 100.0 * gbs_best / read_best, read_best);
    report(o, "mul_mat_q", std::string(ggml::type_name(type)) + (repacked ? "/r8" : ""), M, 1, K, s,
           2.0 * double(M) * double(K), double(wbytes), ej, et);
}

// Quantized weights, matrix x matrix: int8 GOPS (the GFLOPS columns count the 2 M N K integer ops).
void bench_quant_prefill(const Options& o, ggml::Type type, int64_t M, int64_t N, int64_t K) {
    MatMul mm(type, M, N, K);
    // Process CPU time as well: on a shared machine the wall clock also counts time our threads wait for a
    // core; ops per CPU-second (x threads) is what the kernel does when it has the cores to itself.
    auto cpu_now = [] {
        timespec c;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
        return double(c.tv_sec) + 1e-9 * double(c.tv_nsec);
    };
    double cpu_best = 1e300;
    const Stats s = time_it(o.reps, [&] {
        const double c0 = cpu_now();
        mm.run(o.threads);
        cpu_best = std::min(cpu_best, cpu_now() - c0);
    });
    const double ops = 2.0 * double(M) * double(N) * double(K);
    char ej[120], et[160];
    std::snprintf(ej, sizeof ej, ",\"gops_per_cpu_s\":%.1f", ops / cpu_best * 1e-9);
    std::snprintf(et, sizeof et, "  (int8 GOPS; %.0f GOPS per CPU-second, x%d threads = %.0f)", ops / cpu_best * 1e-9,
                  o.threads, ops / cpu_best * 1e-9 * o.threads);
    report(o, "mul_mat_q", ggml::type_name(type), M, N, K, s, ops, 0, ej, et);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; i++) {
        const std::string a = argv[i];
        if (a == "-t" && i + 1 < argc) o.threads = std::atoi(argv[++i]);
        else if (a == "-r" && i + 1 < argc) o.reps = std::max(1, std::atoi(argv[++i]));
        else if (a == "--json") o.json = true;
        else if (a == "--quant-only") o.quant_only = true;
        else if (a == "--no-quant-prefill") o.no_prefill = true;
        else if (a == "--attention-only") o.attention_only = true;
        else {
            std::fprintf(stderr, "usage: %s [-t threads] [-r reps] [--json] [--quant-only] [--no-quant-prefill] [--attention-only]\n", argv[0]);
            return a == "-h" || a == "--help" ? 0 : 1;
        }
    }
    if (o.threads <= 0) o.threads = ggml::default_threads();
    if (o.json) {
        std::printf("{\"bench\":\"info\",\"simd\":\"%s\",\"threads\":%d,\"reps\":%d}\n", ggml::cpu::simd_level_name(),
                    o.threads, o.reps);
    } else {
        std::printf("bench-ops: simd %s, %d threads, %d reps (plus one warm-up)\n", ggml::cpu::simd_level_name(),
                    o.threads, o.reps);
    }
    struct Shape {
        int64_t M, N, K;
    };
    const Shape shapes[] = {{2048, 512, 2048}, {5632, 512, 2048}, {2048, 512, 5632}, {5632, 1, 2048}, {2048, 1, 2048}};
    if (o.attention_only) {
        bench_attention(o.threads, o.reps, o.json, bench_bandwidth(o));
        return 0;
    }
    if (!o.quant_only)
        for (ggml::Type t : {ggml::Type::F32, ggml::Type::F16, ggml::Type::BF16})
            for (const Shape& s : shapes)
                bench_mul_mat(o, t, s.M, s.N, s.K, t == ggml::Type::F32 && s.M == 2048 && s.N == 512 && s.K == 2048);
    bench_bandwidth(o);
    using ggml::Type;
    for (Type t : {Type::Q4_0, Type::Q4_K, Type::Q6_K, Type::Q8_0})
        for (const Shape& s : {Shape{5632, 1, 2048}, Shape{2048, 1, 5632}}) {
            bench_quant_decode(o, t, s.M, s.K, false);
            if (ggml::cpu::repack_supported(t, s.K, s.M)) bench_quant_decode(o, t, s.M, s.K, true);
        }
    for (Type t : {Type::Q4_0, Type::Q4_K, Type::Q8_0, Type::Q5_0, Type::Q6_K})
        for (const Shape& s : {Shape{2048, 512, 2048}, Shape{5632, 512, 2048}, Shape{2048, 512, 5632}})
            if (!o.no_prefill) bench_quant_prefill(o, t, s.M, s.N, s.K);
    bench_attention(o.threads, o.reps, o.json, bench_bandwidth(o));
    return 0;
}
