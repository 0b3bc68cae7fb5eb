// The architectures `giraffe convert` knows. Each one (arch_<name>.cpp) turns config.json into GGUF keys and
// lists the checkpoint's tensors with their GGUF names, expected shapes and changes on the way, as llama.cpp's
// convert_hf_to_gguf.py does for it. The helpers here are what the Python converter's TextModel shares.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "convert/hf_config.h"
#include "convert/hf_tokenizer.h"
#include "ggml/gguf.h"

namespace giraffe::convert {

using Warn = std::function<void(const std::string&)>;

// One tensor of the output: where its data comes from and how it changes on the way.
struct TensorSpec {
    std::string hf;               // checkpoint tensor name; empty for a generated one (values)
    std::string gguf;             // name in the GGUF file
    std::vector<int64_t> shape;   // expected checkpoint shape, outermost first (PyTorch order)
    bool required = true;
    int64_t permute_heads = 0;    // > 0: Llama's Q/K rows per head reordered from halves to pairs
    bool add_one = false;         // Gemma's norms: stored as 1 + weight
    int64_t keep_rows = -1;       // >= 0: only the first rows (Gemma's embedding: the vocabulary's)
    std::vector<float> values;    // a generated tensor's data (RoPE factors), F32
};

// What an architecture's tensor list depends on.
struct ArchInput {
    const JsonObject& config;
    const std::string& dir;
    int64_t n_tokens;  // tokens in the tokenizer metadata already written
};

struct Architecture {
    const char* gguf_name;               // "llama"
    std::vector<std::string> hf_names;   // config.json "architectures" values it converts
    VocabKind (*vocab)(const JsonObject& config, const std::string& dir);
    // Writes the "<arch>.*" keys; validates config.json on the way.
    void (*metadata)(const JsonObject& config, ggml::GgufWriter& w, const Warn& warn);
    std::vector<TensorSpec> (*tensors)(const ArchInput& in);
};

// SentencePiece when the folder has tokenizer.model, else byte-level BPE (tokenizer.json): the order in
// which the Python converter tries them for Llama, Qwen 2 and Gemma 3.
VocabKind spm_if_present(const JsonObject& config, const std::string& dir);

// nullptr when no architecture converts that config.json name.
const Architecture* find_architecture(const std::string& hf_name);
std::string supported_architectures();  // "LlamaForCausalLM, MistralForCausalLM, ..."

// ---- shared by the architectures (arch_common.cpp) ----

// What transformers fills in for fields a config.json leaves out (they differ per model class).
struct ConfigDefaults {
    double rms_norm_eps = 1e-6;
    double rope_theta = 10000.0;
    int64_t max_position_embeddings = 2048;
    int64_t n_head_kv = 0;          // 0: num_attention_heads
    int64_t head_dim = 0;           // 0: hidden_size / num_attention_heads
    bool head_dim_filled = false;   // the config class always has head_dim (LlamaConfig, Gemma3TextConfig)
    bool tie_word_embeddings = false;
};

// The sizes every architecture needs, validated against each other.
struct ModelDims {
    int64_t n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx;
    bool tied;            // tie_word_embeddings: no lm_head needed
    bool head_dim_given;  // config.json (or its class) names head_dim
};
ModelDims read_dims(const JsonObject& c, const ConfigDefaults& d);

// "<arch>.<key>" setters.
struct ArchKeys {
    ggml::GgufWriter& w;
    std::string arch;
    void u32(const std::string& key, int64_t v) const;
    void f32(const std::string& key, double v) const;
    void str(const std::string& key, const std::string& v) const;
};

// config.json's RoPE block: rope_parameters (newer transformers) or rope_scaling, its full-attention part
// where it is split per attention kind; nullopt when there is none.
std::optional<JsonObject> rope_block(const JsonObject& c);
// The block's "rope_type" (or the older "type"), lower case; "" when absent.
std::string rope_type(const JsonObject& rope);

// The keys the Python converter's TextModel writes for every architecture: block count, context, sizes,
// heads, RoPE base and scaling (linear, yarn, longrope carried; dynamic and llama3 have no keys), RMS norm
// epsilon, key/value length where head_dim is given.
void write_common_keys(const JsonObject& c, const ModelDims& m, const ConfigDefaults& d, const ArchKeys& k,
                       const Warn& warn);

// Tensor specs: "model.<name>" and "model.layers.<il>.<name>" in the checkpoint.
TensorSpec model_tensor(const std::string& hf, const std::string& gguf, std::vector<int64_t> shape);
TensorSpec layer_tensor(int64_t il, const std::string& hf, const std::string& gguf, std::vector<int64_t> shape);
// token_embd, output_norm and output (lm_head: required unless the embeddings are tied).
void add_embeddings(std::vector<TensorSpec>& s, const ModelDims& m);
// A layer's self_attn.{q,k,v,o}_proj. permute: Llama's Q/K row order. Biases are converted where the
// checkpoint has them; qkv_bias: Q, K and V must have them (Qwen 2).
void add_attention(std::vector<TensorSpec>& s, int64_t il, const ModelDims& m, bool permute, bool qkv_bias);
// A layer's gated feed-forward: mlp.{gate,up,down}_proj.
void add_ffn(std::vector<TensorSpec>& s, int64_t il, const ModelDims& m);

}  // namespace giraffe::convert
