// `giraffe quantize`: rewrites a GGUF file with its weights in a block-quantized format or a named mix.
#pragma once
#include <functional>
#include <string>

#include "ggml/type.h"

namespace giraffe {

struct QuantizeProgress {
    int index, count;      // tensor index (1-based) and total
    const std::string* name;
    ggml::Type from, to;
    size_t bytes_in, bytes_out;
};

struct QuantizeOptions {
    std::string target;  // a format (Q4_0, Q8_0, Q6_K, F16, ...) or a mix (Q4_K_M, Q4_K_S, Q5_K_M, Q3_K_M, Q2_K)
    int n_threads = 0;
    std::function<void(const QuantizeProgress&)> progress;
    std::function<void(const std::string&)> warn;  // one line per warning (requantizing, fallbacks)
};

struct QuantizeResult {
    size_t bytes_in = 0, bytes_out = 0;
    int n_quantized = 0, n_kept = 0;
};

// Reads in, writes out (through a temporary file renamed at the end: an interrupted or failed run
// leaves no output). Throws a one-line error naming the problem (unknown target, a tensor whose row
// length does not fit the format's blocks, I/O).
QuantizeResult quantize_model(const std::string& in, const std::string& out, const QuantizeOptions& opts);

// Names accepted as targets, for help texts.
std::string quantize_targets();

}  // namespace giraffe
