// SIMD levels for the backend tests: the ones this machine has, and running code capped at one of them.
#pragma once
#include <string>
#include <vector>

#include "backends/cpu/features.h"

// The SIMD levels this machine has, best last (without "scalar").
inline std::vector<std::string> simd_levels() {
    std::vector<std::string> v;
    const ggml::cpu::Features& f = ggml::cpu::features();
    if (f.avx2) v.push_back("avx2");
    if (f.avx512) v.push_back("avx512");
    if (f.neon) v.push_back("neon");
    if (f.neon_dotprod) v.push_back("dotprod");
    return v;
}

// "scalar" and then every SIMD level.
inline std::vector<std::string> all_levels() {
    std::vector<std::string> v = {"scalar"};
    for (auto& l : simd_levels()) v.push_back(l);
    return v;
}

// Runs f at `level`, then restores the best level.
template <class F>
auto at_level(const std::string& level, F&& f) {
    ggml::cpu::force_simd_level(level.c_str());
    struct Restore {
        ~Restore() { ggml::cpu::force_simd_level(""); }
    } restore;
    return f();
}
