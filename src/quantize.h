// `giraffe quantize`: rewrites a GGUF file with its weights in a block-quantized format or a named mix.
// The pieces are public so that `giraffe convert` quantizes the same way while it streams a checkpoint:
// the target (parse_quant_target), the type each tensor gets in it (choose_quant_type), and the conversion
// of one tensor from float rows, a slab at a time (write_rows).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "ggml/gguf.h"
#include "ggml/type.h"

namespace giraffe {

struct QuantMix;  // a named mix's recipe (quantize.cpp)

// What a target name asks for: one format for every weight matrix, or a mix.
struct QuantTarget {
    std::string name;            // as given ("Q4_K_M", "q8_0", "F16")
    ggml::Type type = ggml::Type::F32;  // the single format; a mix's base format
    const QuantMix* mix = nullptr;
    uint32_t file_type = 0;      // general.file_type (llama.cpp's numbering)
};

// Parses a format (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K ... Q6_K, any case) or a mix
// (Q4_K_M, Q4_K_S, Q5_K_M, Q3_K_M, Q2_K); throws std::invalid_argument naming the accepted ones.
QuantTarget parse_quant_target(const std::string& name);

// Where a weight matrix sits in the model, for the choice of its type.
struct QuantTensor {
    const std::string& name;  // GGUF name ("blk.3.attn_v.weight")
    int64_t n_per_row;        // ne[0]: the row length the format's blocks must divide
    int n_layer;              // the model's block count
    bool output_tied;         // no output.weight: token_embd.weight serves as the output matrix
};

// How a single format that does not fit a tensor's rows is handled (a mix always falls back).
enum class MisfitPolicy {
    Refuse,    // giraffe quantize: an error naming the tensor
    FallBack,  // giraffe convert: F16, as convert_hf_to_gguf.py does
};

// The type of one weight matrix (2-D or more; vectors keep their type) under a target; the rules are
// listed at the top of quantize.cpp. A fallback for rows that do not fit is reported through warn.
ggml::Type choose_quant_type(const QuantTarget& t, const QuantTensor& q, MisfitPolicy misfit,
                             const std::function<void(const std::string&)>& warn);

// Fills rows [r0, r0 + n) of a tensor, as floats, into dst (n * n_per_row floats).
using RowReader = std::function<void(int64_t r0, int64_t n, float* dst)>;
using ByteSink = ggml::GgufWriter::ByteSink;  // receives the converted bytes, in order

// Writes an n_rows x n_per_row tensor in type t (any type with a from-float conversion): reads a slab of
// rows, converts it on n_threads threads (<= 0: all), hands the bytes to sink. Memory: one slab of about
// 64 MiB of floats (at least one row) and its converted bytes, whatever the tensor's size.
void write_rows(ggml::Type t, int64_t n_rows, int64_t n_per_row, const RowReader& read, const ByteSink& sink,
                int n_threads);

// Reported as each tensor that gets a new type starts (kept tensors are copied as they are).
struct QuantizeProgress {
    int index, count;      // tensor index (1-based) and total
    const std::string* name;
    ggml::Type from, to;
    size_t bytes_in, bytes_out;
    size_t bytes_done, bytes_total;  // output bytes of the converted tensors before this one, and of all
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
