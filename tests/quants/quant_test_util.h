// Shared helpers for the quantization tests.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "ggml/quants.h"
#include "ggml/type.h"

namespace qtest {

struct QType {
    ggml::Type type;
    const char* gguf_name;  // GGMLQuantizationType member name in gguf-py
    bool in_gguf_py;        // gguf-py implements its dequantization
};

inline const std::vector<QType>& all_qtypes() {
    using ggml::Type;
    static const std::vector<QType> v = {
        {Type::Q4_0, "Q4_0", true}, {Type::Q4_1, "Q4_1", true}, {Type::Q5_0, "Q5_0", true},
        {Type::Q5_1, "Q5_1", true}, {Type::Q8_0, "Q8_0", true}, {Type::Q8_1, "Q8_1", false},
        {Type::Q2_K, "Q2_K", true}, {Type::Q3_K, "Q3_K", true}, {Type::Q4_K, "Q4_K", true},
        {Type::Q5_K, "Q5_K", true}, {Type::Q6_K, "Q6_K", true}, {Type::Q8_K, "Q8_K", false},
    };
    return v;
}

// A fresh directory for this process's files, removed with its contents at exit.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/giraffe_test_quants_XXXXXX";
        const char* p = mkdtemp(tmpl);
        if (p) path = p;
    }
    ~TempDir() {
        if (!path.empty()) std::system(("rm -rf '" + path + "'").c_str());
    }
    std::string file(const std::string& name) const { return path + "/" + name; }
};

inline std::vector<float> gaussian(size_t n, uint32_t seed, float sigma = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, sigma);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

inline std::vector<float> uniform(size_t n, uint32_t seed, float lo, float hi) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> ud(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = ud(rng);
    return v;
}

// Mostly zeros, a few Gaussian values of mixed magnitude.
inline std::vector<float> sparse(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::uniform_int_distribution<int> pick(0, 15);
    std::vector<float> v(n, 0.0f);
    for (auto& x : v)
        if (pick(rng) == 0) x = nd(rng) * (pick(rng) < 2 ? 20.0f : 1.0f);
    return v;
}

}  // namespace qtest
