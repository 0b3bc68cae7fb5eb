// Gemma 3, text (Gemma3ForCausalLM): the Python converter's Gemma3Model. Gemma's RMSNorm multiplies by
// (1 + weight), and GGUF stores that sum: every *norm.weight gets +1 on the way (in float32; a float16
// checkpoint's sum is rounded to float16 first, as torch adds in the tensor's type). The embedding keeps
// only the tokenizer's rows. Five sliding-window layers (RoPE base rope_local_base_freq) per global one.
#include "convert/arch.h"

namespace giraffe::convert {
namespace {

// Gemma3TextConfig's defaults: 4 KV heads, head_dim 256, tied embeddings, RoPE base 1e6.
const ConfigDefaults kGemma3 = {1e-6, 1000000.0, 131072, 4, 256, true, true};

void metadata(const JsonObject& c, ggml::GgufWriter& w, const Warn& warn) {
    const ModelDims m = read_dims(c, kGemma3);
    const ArchKeys k{w, "gemma3"};
    write_common_keys(c, m, kGemma3, k, warn);
    if (c.has("attn_logit_softcapping")) c.fail("'attn_logit_softcapping' is set, which Gemma 3 does not use");
    if (c.get_float("final_logit_softcapping", 0.0) != 0.0)
        k.f32("final_logit_softcapping", c.get_float("final_logit_softcapping"));
    if (c.get_int("sliding_window_pattern", 6) != 1) k.u32("attention.sliding_window", c.get_size("sliding_window", 4096));
    k.f32("rope.freq_base_swa", c.get_float("rope_local_base_freq", 10000.0));
}

// How many embedding rows the vocabulary uses: the tokens written (SentencePiece), or tokenizer.json's
// vocabulary plus its added tokens, as the Python converter counts them.
int64_t vocab_rows(const ArchInput& in) {
    if (spm_if_present(in.config, in.dir) == VocabKind::Spm) return in.n_tokens;
    const JsonObject tj = JsonObject::load(in.dir + "/tokenizer.json");
    const std::optional<JsonObject> model = tj.object("model");
    return int64_t((model ? model->count("vocab") : 0) + tj.count("added_tokens"));
}

std::vector<TensorSpec> tensors(const ArchInput& in) {
    const ModelDims m = read_dims(in.config, kGemma3);
    const int64_t e = m.n_embd;
    std::vector<TensorSpec> s;
    add_embeddings(s, m);
    s[0].keep_rows = vocab_rows(in);
    const auto norm = [&](int64_t il, const std::string& hf, const std::string& gguf, int64_t n) {
        s.push_back(layer_tensor(il, hf, gguf, {n}));
        s.back().add_one = true;
    };
    for (int64_t il = 0; il < m.n_layer; il++) {
        norm(il, "input_layernorm.weight", "attn_norm.weight", e);
        add_attention(s, il, m, /*permute=*/false, /*qkv_bias=*/false);
        norm(il, "self_attn.q_norm.weight", "attn_q_norm.weight", m.head_dim);
        norm(il, "self_attn.k_norm.weight", "attn_k_norm.weight", m.head_dim);
        norm(il, "post_attention_layernorm.weight", "post_attention_norm.weight", e);
        norm(il, "pre_feedforward_layernorm.weight", "ffn_norm.weight", e);
        norm(il, "post_feedforward_layernorm.weight", "post_ffw_norm.weight", e);
        add_ffn(s, il, m);
    }
    for (TensorSpec& t : s)
        if (t.gguf == "output_norm.weight") t.add_one = true;
    return s;
}

}  // namespace

extern const Architecture kGemma3Convert = {"gemma3", {"Gemma3ForCausalLM"}, spm_if_present, metadata, tensors};

}  // namespace giraffe::convert
