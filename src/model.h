// A loaded model: hyperparameters, weights used in place from the mmap'd GGUF file, and the vocabulary.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ggml/backend.h"
#include "ggml/gguf.h"
#include "hparams.h"
#include "tokenizer.h"

namespace giraffe {

// Weights of one transformer block. Architectures fill the ones they use; the rest stay null.
struct LayerWeights {
    ggml::Tensor *attn_norm = nullptr, *attn_post_norm = nullptr;
    ggml::Tensor *wq = nullptr, *wk = nullptr, *wv = nullptr, *wo = nullptr;
    ggml::Tensor* wqkv = nullptr;  // fused Q, K and V rows (Phi-3), in place of wq, wk and wv
    ggml::Tensor *bq = nullptr, *bk = nullptr, *bv = nullptr;
    ggml::Tensor *q_norm = nullptr, *k_norm = nullptr;
    ggml::Tensor *ffn_norm = nullptr, *ffn_post_norm = nullptr;
    ggml::Tensor *ffn_gate = nullptr, *ffn_up = nullptr, *ffn_down = nullptr;
};

struct Weights {
    ggml::Tensor* tok_embd = nullptr;
    ggml::Tensor* output_norm = nullptr;
    ggml::Tensor* output = nullptr;      // may be tok_embd (tied)
    ggml::Tensor* rope_freqs = nullptr;  // per-pair frequency divisors (Llama 3 scaling), optional
    // LongRoPE's per-pair divisors (Phi-3), F32 [n_rot / 2], optional: short within the original context,
    // long beyond it (model_rope_factors in rope_scaling.h picks).
    ggml::Tensor *rope_factors_short = nullptr, *rope_factors_long = nullptr;
    std::vector<LayerWeights> layers;
};

struct Architecture;

class Model {
public:
    struct Options {
        int n_threads = 0;        // 0: all cores
        bool vocab_only = false;  // tokenizer only (works on GGUF files without tensors)
        // Interleave the matrix weights that mul_mat alone reads into the CPU decode layout
        // (backends/cpu/repack.h) where this CPU has the kernel: faster decode, the same results up to
        // float summation order, a copy of those weights in memory instead of the file mapping.
        bool repack = true;
        std::string device = "cpu";  // "cpu", "vulkan[:N]" or "cuda[:N]" (ggml::parse_device)
        // With a GPU device: how many of the last layers go on it, the output layer included when N > 0;
        // -1: all of them. The token embedding stays on the CPU (get_rows reads a few rows of it).
        int n_gpu_layers = -1;
    };
    // Opens and validates the file; every problem is one line naming it (missing key, wrong shape, ...).
    static std::unique_ptr<Model> load(const std::string& path, const Options& opts);

    const HParams& hparams() const { return hp_; }
    const Tokenizer& tokenizer() const { return *tok_; }
    const ggml::GgufFile& file() const { return *file_; }
    const Architecture& arch() const { return *arch_; }
    const Weights& weights() const { return w_; }
    ggml::Backend& cpu() const { return *cpu_; }  // always there: inputs, the embedding, the fallback
    ggml::Backend* gpu() const { return n_gpu_ > 0 ? gpu_.get() : nullptr; }
    int n_gpu_layers() const { return n_gpu_; }
    // The backends a session schedules on, in order of preference (the GPU first, the CPU last).
    std::vector<ggml::Backend*> backends() const;
    ggml::Backend& layer_backend(int il) const;  // where layer il's weights (and so its KV cache) live
    size_t weight_bytes() const;  // bytes of all tensors in the file
    // True when the output projection is the token embedding (tied; it may run on an interleaved copy).
    bool output_tied() const { return output_tied_; }
    std::string describe_type() const;  // most common weight type, e.g. "q4_K"

    // For architecture loaders: a tensor of the file with the expected shape (ne[0] first); throws a
    // one-line error naming the tensor when missing or shaped differently. optional() returns null
    // when absent.
    ggml::Tensor* require(const std::string& name, std::initializer_list<int64_t> ne);
    ggml::Tensor* optional(const std::string& name, std::initializer_list<int64_t> ne);
    HParams& mutable_hparams() { return hp_; }
    Weights& mutable_weights() { return w_; }

private:
    Model() = default;
    ggml::Tensor* separate_output();  // a tensor of its own for a tied output, sharing the embedding's bytes
    void offload(int n_gpu);
    void repack_weights();
    void load_rope_factors();
    std::unique_ptr<ggml::GgufFile> file_;
    HParams hp_;
    std::optional<Tokenizer> tok_;
    const Architecture* arch_ = nullptr;
    Weights w_;
    std::unique_ptr<ggml::Backend> cpu_, gpu_;
    int n_gpu_ = 0;
    std::vector<std::unique_ptr<ggml::Buffer>> gpu_buffers_;  // one per offloaded layer, and the output's
    ggml::Context tensors_;
    bool output_tied_ = false;
    std::unique_ptr<ggml::Buffer> mapping_;
    std::unique_ptr<ggml::Buffer> repacked_;  // interleaved copies of weights (Options::repack)
    std::unordered_map<std::string, ggml::Tensor*> by_name_;
};

}  // namespace giraffe
