// Qwen 2 / 2.5 (Qwen2ForCausalLM): the Llama block with biases on Q, K and V, NeoX-paired RoPE (so no
// row reordering), tied embeddings in the small sizes. The Python converter's Qwen2Model.
#include "convert/arch.h"

namespace giraffe::convert {
namespace {

const ConfigDefaults kQwen2 = {1e-6, 10000.0, 32768, 0, 0, false, false};

void metadata(const JsonObject& c, ggml::GgufWriter& w, const Warn& warn) {
    write_common_keys(c, read_dims(c, kQwen2), kQwen2, ArchKeys{w, "qwen2"}, warn);
}

std::vector<TensorSpec> tensors(const ArchInput& in) {
    const ModelDims m = read_dims(in.config, kQwen2);
    std::vector<TensorSpec> s;
    add_embeddings(s, m);
    for (int64_t il = 0; il < m.n_layer; il++) {
        s.push_back(layer_tensor(il, "input_layernorm.weight", "attn_norm.weight", {m.n_embd}));
        add_attention(s, il, m, /*permute=*/false, /*qkv_bias=*/true);
        s.push_back(layer_tensor(il, "post_attention_layernorm.weight", "ffn_norm.weight", {m.n_embd}));
        add_ffn(s, il, m);
    }
    return s;
}

}  // namespace

extern const Architecture kQwen2Convert = {"qwen2", {"Qwen2ForCausalLM"}, spm_if_present, metadata, tensors};

}  // namespace giraffe::convert
