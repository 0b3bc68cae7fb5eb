// `giraffe convert`: a Hugging Face checkpoint folder (config.json, safetensors, tokenizer) to one GGUF
// file, as llama.cpp's convert_hf_to_gguf.py writes it: the same metadata keys, tensor names and, for
// F32 / F16 / BF16 output, the same tensor bytes. Quantized outputs (any `giraffe quantize` target) are
// produced in the same pass: each tensor is read from the mapped checkpoint, changed (Llama's Q/K row
// order, Gemma's +1 on norms), converted and written when the writer reaches it, a slab of rows at a
// time, so memory stays at a few slabs whatever the model's size. The file is written to "<out>.tmp"
// and renamed at the end: a failed run leaves no output.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "convert/error.h"
#include "ggml/type.h"

namespace giraffe::convert {

struct ConvertProgress {
    int index, count;                 // the tensor being written (1-based) and how many there are
    const std::string* name;          // its GGUF name
    ggml::Type type;                  // its type in the output
    size_t bytes;                     // its size in the output
    size_t bytes_done, bytes_total;   // output bytes of the tensors before it, and of all
};

struct ConvertOptions {
    // "auto" (the Python converter's default: BF16 for a BF16 checkpoint, else F16), f32, f16, bf16, q8_0,
    // or any `giraffe quantize` target (q4_0, q6_k, q4_k_m, ...), case-insensitive.
    std::string type = "auto";
    int n_threads = 0;  // <= 0: all cores
    std::function<void(const ConvertProgress&)> progress;
    std::function<void(const std::string&)> warn;  // one line each
};

struct ConvertResult {
    std::string hf_architecture, arch;  // "LlamaForCausalLM", "llama"
    std::string type;                   // the output type's name ("F16", "Q4_K_M")
    int n_tensors = 0;
    size_t bytes = 0;                   // tensor data written
};

// Converts the checkpoint in dir to out. Everything is checked before the output is created: config.json
// (present, an architecture this converter knows, sizes), every expected tensor present with the shape
// config.json implies, no tensor left unused, dtypes F32 / F16 / BF16. Throws ConvertError (or
// std::invalid_argument for an unknown type) with a one-line message naming the file and the problem.
ConvertResult convert_checkpoint(const std::string& dir, const std::string& out, const ConvertOptions& opts);

}  // namespace giraffe::convert
