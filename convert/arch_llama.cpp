// Llama 1/2/3, TinyLlama, SmolLM and Mistral (LlamaForCausalLM, MistralForCausalLM): the Python converter's
// LlamaModel. Hugging Face rotates the two halves of each head (rotate_half) while GGUF's "llama" pairs
// adjacent elements, so the rows of Q and K (and their biases) are reordered per head: within a head,
// row 2i + j of the output is row j * head_dim / 2 + i of the checkpoint. Llama 3's RoPE scaling travels
// as the rope_freqs tensor: one frequency divisor per rotated pair.
#include <cmath>

#include "convert/arch.h"

namespace giraffe::convert {
namespace {

// LlamaConfig always has head_dim; MistralConfig only when config.json gives it, and other defaults.
const ConfigDefaults kLlama = {1e-6, 10000.0, 2048, 0, 0, true, false};
const ConfigDefaults kMistral = {1e-6, 10000.0, 131072, 8, 0, false, false};

void metadata(const ConfigDefaults& d, const JsonObject& c, ggml::GgufWriter& w, const Warn& warn) {
    const ModelDims m = read_dims(c, d);
    const ArchKeys k{w, "llama"};
    write_common_keys(c, m, d, k, warn);
    k.u32("vocab_size", m.n_vocab);
    k.u32("rope.dimension_count", m.head_dim);
}

// Llama 3's per-pair divisors of the RoPE frequencies: 1 for short wavelengths, the factor for long ones,
// a smooth blend between. Computed in float32 step by step, as the Python converter's torch code does, so
// that the tensor is bit-identical to its.
std::vector<float> llama3_factors(const JsonObject& r, float theta, int64_t dim) {
    const float factor = float(r.get_float("factor", 8.0));
    const double low = r.get_float("low_freq_factor", 1.0), high = r.get_float("high_freq_factor", 4.0);
    const double old_ctx = double(r.get_int("original_max_position_embeddings", 8192));
    const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
    std::vector<float> f;
    for (int64_t i = 0; i < dim; i += 2) {
        const float freq = 1.0f / std::pow(theta, float(i) / float(dim));
        const float wavelen = float(2.0 * M_PI) / freq;
        if (wavelen < float(high_wavelen)) {
            f.push_back(1.0f);
        } else if (wavelen > float(low_wavelen)) {
            f.push_back(factor);
        } else {
            const float smooth = (float(old_ctx) / wavelen - float(low)) / float(high - low);
            f.push_back(1.0f / ((1.0f - smooth) / factor + smooth));
        }
    }
    return f;
}

std::vector<TensorSpec> tensors(const ConfigDefaults& d, const ArchInput& in) {
    const JsonObject& c = in.config;
    const ModelDims m = read_dims(c, d);
    std::vector<TensorSpec> s;
    if (const std::optional<JsonObject> r = rope_block(c); r && rope_type(*r) == "llama3") {
        TensorSpec f;
        f.gguf = "rope_freqs.weight";
        f.values = llama3_factors(*r, float(r->get_float("rope_theta", c.get_float("rope_theta", d.rope_theta))), m.head_dim);
        f.shape = {int64_t(f.values.size())};
        s.push_back(f);
    }
    add_embeddings(s, m);
    const int64_t e = m.n_embd;
    for (int64_t il = 0; il < m.n_layer; il++) {
        s.push_back(layer_tensor(il, "input_layernorm.weight", "attn_norm.weight", {e}));
        add_attention(s, il, m, /*permute=*/true, /*qkv_bias=*/false);
        s.push_back(layer_tensor(il, "post_attention_layernorm.weight", "ffn_norm.weight", {e}));
        add_ffn(s, il, m);
    }
    return s;
}

}  // namespace

extern const Architecture kLlamaConvert = {
    "llama", {"LlamaForCausalLM", "LLaMAForCausalLM"}, spm_if_present,
    [](const JsonObject& c, ggml::GgufWriter& w, const Warn& warn) { metadata(kLlama, c, w, warn); },
    [](const ArchInput& in) { return tensors(kLlama, in); }};

extern const Architecture kMistralConvert = {
    "llama", {"MistralForCausalLM"}, spm_if_present,
    [](const JsonObject& c, ggml::GgufWriter& w, const Warn& warn) { metadata(kMistral, c, w, warn); },
    [](const ArchInput& in) { return tensors(kMistral, in); }};

}  // namespace giraffe::convert
