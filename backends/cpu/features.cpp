// The CPU feature probe (cpuid + XGETBV on x86, the kernel's HWCAP bits on ARM) and the dispatch level cap.
#include "backends/cpu/features.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "backends/cpu/gemm.h"

#if defined(GIRAFFE_X86)
#include <cpuid.h>
#endif
#if defined(GIRAFFE_ARM) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace ggml::cpu {
namespace {

#if defined(GIRAFFE_X86)
uint64_t read_xcr0() {
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t(hi) << 32) | lo;
}
#endif

Features probe() {
    Features f;
#if defined(GIRAFFE_X86)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(1, 0, &a, &b, &c, &d)) return f;
    const bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28), f16c = c & (1u << 29);
    if (!osxsave || !avx) return f;
    const uint64_t xcr0 = read_xcr0();
    const bool ymm_ok = (xcr0 & 0x6) == 0x6;           // SSE + AVX state
    const bool zmm_ok = ymm_ok && (xcr0 & 0xe0) == 0xe0;  // opmask + ZMM_Hi256 + Hi16_ZMM state
    unsigned max_leaf = __get_cpuid_max(0, nullptr);
    if (max_leaf < 7 || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
    const bool avx2 = b & (1u << 5);
    const bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17), avx512bw = b & (1u << 30),
               avx512vl = b & (1u << 31);
    const bool vnni = c & (1u << 11);
    unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
    const bool bf16 = __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1) && (a1 & (1u << 5));
    f.avx2 = ymm_ok && avx2 && fma && f16c;
    f.avx512 = f.avx2 && zmm_ok && avx512f && avx512dq && avx512bw && avx512vl;
    f.avx512_vnni = f.avx512 && vnni;
    f.avx512_bf16 = f.avx512 && bf16;
#elif defined(GIRAFFE_ARM)
    f.neon = true;  // Advanced SIMD is mandatory on AArch64
#if defined(__linux__) && defined(HWCAP_ASIMDDP)
    f.neon_dotprod = getauxval(AT_HWCAP) & HWCAP_ASIMDDP;
#elif defined(__APPLE__)
    f.neon_dotprod = true;  // every Apple Silicon core has it
#endif
#endif
    return f;
}

SimdLevel best_level(const Features& f) {
    if (f.avx512) return SimdLevel::Avx512;
    if (f.avx2) return SimdLevel::Avx2;
    if (f.neon_dotprod) return SimdLevel::NeonDotprod;
    if (f.neon) return SimdLevel::Neon;
    return SimdLevel::Scalar;
}

int rank(SimdLevel l) {  // scalar < avx2 = neon < avx512 = neon with dotprod
    switch (l) {
        case SimdLevel::Scalar: return 0;
        case SimdLevel::Avx2: return 1;
        case SimdLevel::Neon: return 1;
        case SimdLevel::Avx512: return 2;
        case SimdLevel::NeonDotprod: return 2;
    }
    return 0;
}

const char* level_name(SimdLevel l) {
    switch (l) {
        case SimdLevel::Scalar: return "scalar";
        case SimdLevel::Avx2: return "avx2";
        case SimdLevel::Avx512: return "avx512";
        case SimdLevel::Neon: return "neon";
        case SimdLevel::NeonDotprod: return "dotprod";
    }
    return "scalar";
}

std::atomic<int> g_level{-1};

SimdLevel capped_level(const Features& f, const char* cap) {
    const SimdLevel best = best_level(f);
    if (!cap || !*cap) return best;
    int r;
    if (!std::strcmp(cap, "scalar")) r = 0;
    else if (!std::strcmp(cap, "avx2") || !std::strcmp(cap, "neon")) r = 1;
    else if (!std::strcmp(cap, "avx512") || !std::strcmp(cap, "dotprod")) r = 2;
    else {
        std::fprintf(stderr, "giraffe: unknown SIMD level '%s' (scalar, avx2, avx512, neon, dotprod); using %s\n",
                     cap, level_name(best));
        return best;
    }
    if (rank(best) <= r) return best;
    if (r >= 1 && f.avx2) return SimdLevel::Avx2;
    if (r >= 1 && f.neon) return SimdLevel::Neon;
    return SimdLevel::Scalar;
}

struct Probe {
    Features f;
    Probe() : f(probe()) { g_level.store(int(capped_level(f, std::getenv("GIRAFFE_SIMD")))); }
};

const Probe& the_probe() {
    static const Probe p;  // thread-safe one-time initialisation
    return p;
}

}  // namespace

const Features& features() { return the_probe().f; }

void force_simd_level(const char* level) {
    const Features& f = features();
    g_level.store(int(capped_level(f, level)));
}

SimdLevel simd_level() {
    int l = g_level.load(std::memory_order_relaxed);
    if (l < 0) {
        features();
        l = g_level.load(std::memory_order_relaxed);
    }
    return SimdLevel(l);
}

const char* simd_level_name() { return level_name(simd_level()); }

}  // namespace ggml::cpu
