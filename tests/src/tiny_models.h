// The tiny random-weight models the architecture tests write (giraffe's own generator) and check against
// the numpy forward pass (tests/reference/forward.py), on the CPU and on every other backend.
#pragma once
#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "model_gen.h"
#include "test_util.h"

namespace giraffe {

inline ModelShape tiny(const std::string& arch, ggml::Type type) {
    ModelShape s;
    s.arch = arch;
    s.n_vocab = 320;
    // K-quant blocks hold 256 values: rows must be that long.
    const bool k_quant = ggml::type_traits(type).block_size == 256;
    s.n_embd = k_quant ? 256 : 64;
    s.n_layer = arch == "gemma3" ? 6 : 2;  // gemma3: five sliding layers, then a global one
    s.n_head = 4;
    s.n_head_kv = 2;
    s.n_ff = k_quant ? 256 : 96;
    s.n_ctx = 256;
    s.head_dim = arch == "gemma3" ? (k_quant ? 64 : 32) : 0;
    s.sliding_window = arch == "gemma3" ? 8 : 0;
    s.rope_base = arch == "gemma3" ? 1000000.0f : 10000.0f;
    s.norm_eps = 1e-6f;
    s.type = type;
    s.seed = 7;
    if (arch == "phi3") {
        // As the converter writes a Phi-3.5 mini 128K (and Phi-4 mini's partial rotation): LongRoPE from an
        // original context of 32 (the tests' 64-cell sessions take the long factors, 32-cell ones the short),
        // its attention factor, and a sliding_window key that llama.cpp, and so giraffe, ignores for phi3.
        const int hd = s.n_embd / s.n_head;
        s.n_rot = hd * 3 / 4;
        s.sliding_window = 8;
        s.rope_orig_ctx = 32;
        s.rope_attn_factor = 1.1f;  // not the derived 1.26: the key must be what applies
        for (int i = 0; i < s.n_rot / 2; i++) {
            const float x = float(i) / float(s.n_rot / 2);
            s.rope_factors_short.push_back(1.0f + 0.5f * x);       // near 1: the trained positions
            s.rope_factors_long.push_back(1.0f + 20.0f * x * x);  // up to ~20: low frequencies stretched
        }
    }
    return s;
}

// Max |a - b| over max |b|.
inline double rel_err(const std::vector<float>& got, const std::vector<float>& ref) {
    double num = 0, den = 0;
    for (size_t i = 0; i < ref.size(); i++) {
        num = std::max(num, std::fabs(double(got[i]) - double(ref[i])));
        den = std::max(den, std::fabs(double(ref[i])));
    }
    return num / den;
}

// The numpy forward pass's logits for every token of toks (each position's n_vocab floats in turn), for a
// session of n_ctx cells (which of LongRoPE's factors apply).
inline std::vector<float> reference_logits(const std::string& path, const std::vector<int32_t>& toks, int n_ctx) {
    const std::string tok_path = path + ".tokens", out_path = path + ".ref";
    std::ofstream(tok_path, std::ios::binary).write(reinterpret_cast<const char*>(toks.data()), long(toks.size() * 4));
    run_python("tests/reference/forward.py", path + " " + tok_path + " " + out_path + " 0 " + std::to_string(n_ctx));
    return read_floats(out_path);
}

}  // namespace giraffe
