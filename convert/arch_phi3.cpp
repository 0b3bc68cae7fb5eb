// Phi-3 (Phi3ForCausalLM): the Python converter's Phi3MiniModel. Q, K and V are one matrix (attn_qkv),
// gate and up one (ffn_up, gate first), RoPE pairs halves (NeoX). LongRoPE ("longrope", older "su";
// transformers also reads Phi-3's "yarn" so) travels as two F32 tensors of per-pair divisors for short
// and long contexts, plus the attention factor sqrt(1 + ln(s) / ln(L)) with s = context / original
// context L. The Python converter writes its own key set for Phi-3 (no scaling type: the tensors say it).
#include <cmath>
#include <cstdio>

#include "convert/arch.h"

namespace giraffe::convert {
namespace {

const ConfigDefaults kPhi3 = {1e-5, 10000.0, 4096, 0, 0, false, false};

VocabKind vocab(const JsonObject&, const std::string& dir) {
    const std::string tc = dir + "/tokenizer_config.json";
    if (FILE* f = std::fopen(tc.c_str(), "rb")) {
        std::fclose(f);
        if (JsonObject::load(tc).get_str("tokenizer_class", "") == "GPT2Tokenizer") return VocabKind::Bpe;  // Phi-4
    }
    return VocabKind::Spm;
}

int64_t original_ctx(const JsonObject& c) {
    const std::optional<JsonObject> r = rope_block(c);
    const char* key = "original_max_position_embeddings";
    return r && r->has(key) ? r->get_size(key) : c.get_size(key, 4096);
}

int64_t rope_dims(const JsonObject& c, const ModelDims& m) {
    const std::optional<JsonObject> r = rope_block(c);
    const double pct = r && r->has("partial_rotary_factor") ? r->get_float("partial_rotary_factor")
                                                            : c.get_float("partial_rotary_factor", 1.0);
    return int64_t(pct * double(m.n_embd)) / m.n_head;
}

// The LongRoPE block, when there is one: validated, with its short and long factors.
std::optional<JsonObject> longrope(const JsonObject& c, const ModelDims& m) {
    std::optional<JsonObject> r = rope_block(c);
    if (!r || !r->has("long_factor")) return std::nullopt;
    const std::string t = rope_type(*r);
    if (t != "longrope" && t != "su" && t != "yarn") r->fail("Phi-3 rope scaling type '" + t + "' is not supported");
    const size_t half = size_t(rope_dims(c, m) / 2);
    if (r->get_float_array("long_factor").size() != half || r->get_float_array("short_factor").size() != half)
        r->fail("rope scaling 'long_factor' and 'short_factor' must have " + std::to_string(half) + " entries each");
    return r;
}

void metadata(const JsonObject& c, ggml::GgufWriter& w, const Warn&) {
    const ModelDims m = read_dims(c, kPhi3);
    const ArchKeys k{w, "phi3"};
    const int64_t orig = original_ctx(c);
    k.u32("context_length", m.n_ctx);
    k.u32("rope.scaling.original_context_length", orig);
    k.u32("embedding_length", m.n_embd);
    k.u32("feed_forward_length", m.n_ff);
    k.u32("block_count", m.n_layer);
    k.u32("attention.head_count", m.n_head);
    k.u32("attention.head_count_kv", m.n_head_kv);
    k.f32("attention.layer_norm_rms_epsilon", c.get_float("rms_norm_eps", kPhi3.rms_norm_eps));
    k.u32("rope.dimension_count", rope_dims(c, m));
    const std::optional<JsonObject> r = rope_block(c);
    k.f32("rope.freq_base", r && r->has("rope_theta") ? r->get_float("rope_theta") : c.get_float("rope_theta", kPhi3.rope_theta));
    k.u32("attention.sliding_window", c.get_int("sliding_window", 0));  // 0 tells Phi-4 apart
    if (longrope(c, m)) {
        const double s = double(m.n_ctx) / double(orig);
        k.f32("rope.scaling.attn_factor", s > 1.0 ? std::sqrt(1.0 + std::log(s) / std::log(double(orig))) : 1.0);
    }
}

TensorSpec factors(const JsonObject& r, const char* key, const char* gguf) {
    TensorSpec t;
    t.gguf = gguf;
    for (double v : r.get_float_array(key)) t.values.push_back(float(v));
    t.shape = {int64_t(t.values.size())};
    return t;
}

std::vector<TensorSpec> tensors(const ArchInput& in) {
    const ModelDims m = read_dims(in.config, kPhi3);
    const int64_t e = m.n_embd, q = m.n_head * m.head_dim, kv = m.n_head_kv * m.head_dim;
    std::vector<TensorSpec> s;
    if (const std::optional<JsonObject> r = longrope(in.config, m)) {
        s.push_back(factors(*r, "long_factor", "rope_factors_long.weight"));
        s.push_back(factors(*r, "short_factor", "rope_factors_short.weight"));
    }
    add_embeddings(s, m);
    for (int64_t il = 0; il < m.n_layer; il++) {
        s.push_back(layer_tensor(il, "input_layernorm.weight", "attn_norm.weight", {e}));
        s.push_back(layer_tensor(il, "self_attn.qkv_proj.weight", "attn_qkv.weight", {q + 2 * kv, e}));
        s.push_back(layer_tensor(il, "self_attn.o_proj.weight", "attn_output.weight", {e, q}));
        s.push_back(layer_tensor(il, "post_attention_layernorm.weight", "ffn_norm.weight", {e}));
        s.push_back(layer_tensor(il, "mlp.gate_up_proj.weight", "ffn_up.weight", {2 * m.n_ff, e}));
        s.push_back(layer_tensor(il, "mlp.down_proj.weight", "ffn_down.weight", {e, m.n_ff}));
    }
    return s;
}

}  // namespace

extern const Architecture kPhi3Convert = {"phi3", {"Phi3ForCausalLM"}, vocab, metadata, tensors};

}  // namespace giraffe::convert
