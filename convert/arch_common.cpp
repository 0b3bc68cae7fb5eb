// The architecture registry and what the architectures share (the Python converter's TextModel part).
#include <algorithm>
#include <cctype>
#include <cmath>

#include <sys/stat.h>

#include "convert/arch.h"

namespace giraffe::convert {

extern const Architecture kLlamaConvert, kMistralConvert, kQwen2Convert, kGemma3Convert, kPhi3Convert;

namespace {
const Architecture* const kArchitectures[] = {&kLlamaConvert, &kMistralConvert, &kQwen2Convert, &kGemma3Convert,
                                              &kPhi3Convert};
}  // namespace

const Architecture* find_architecture(const std::string& hf_name) {
    for (const Architecture* a : kArchitectures)
        if (std::find(a->hf_names.begin(), a->hf_names.end(), hf_name) != a->hf_names.end()) return a;
    return nullptr;
}

std::string supported_architectures() {
    std::string s;
    for (const Architecture* a : kArchitectures)
        for (const std::string& n : a->hf_names) s += (s.empty() ? "" : ", ") + n;
    return s;
}

VocabKind spm_if_present(const JsonObject&, const std::string& dir) {
    struct stat st;
    return stat((dir + "/tokenizer.model").c_str(), &st) == 0 ? VocabKind::Spm : VocabKind::Bpe;
}

ModelDims read_dims(const JsonObject& c, const ConfigDefaults& d) {
    ModelDims m{};
    m.n_vocab = c.get_size("vocab_size");
    m.n_embd = c.get_size("hidden_size");
    m.n_layer = c.get_size("num_hidden_layers");
    m.n_head = c.get_size("num_attention_heads");
    m.n_head_kv = c.get_size("num_key_value_heads", d.n_head_kv ? d.n_head_kv : m.n_head);
    m.n_ff = c.get_size("intermediate_size");
    m.n_ctx = c.get_size("max_position_embeddings", d.max_position_embeddings);
    m.head_dim_given = c.has("head_dim") || d.head_dim_filled;
    if (!c.has("head_dim") && !d.head_dim && m.n_embd % m.n_head != 0)
        c.fail("'hidden_size' " + std::to_string(m.n_embd) + " is not a multiple of 'num_attention_heads' " +
               std::to_string(m.n_head) + " (and there is no 'head_dim')");
    m.head_dim = c.get_size("head_dim", d.head_dim ? d.head_dim : m.n_embd / m.n_head);
    if (m.n_head % m.n_head_kv != 0)
        c.fail("'num_attention_heads' " + std::to_string(m.n_head) + " is not a multiple of 'num_key_value_heads' " +
               std::to_string(m.n_head_kv));
    m.tied = c.get_bool("tie_word_embeddings", d.tie_word_embeddings);
    return m;
}

void ArchKeys::u32(const std::string& key, int64_t v) const {
    if (v < 0 || v > int64_t(UINT32_MAX)) throw ConvertError(arch + "." + key + ": " + std::to_string(v) + " does not fit u32");
    w.set(arch + "." + key, ggml::GgufValue::u32(uint32_t(v)));
}
void ArchKeys::f32(const std::string& key, double v) const { w.set(arch + "." + key, ggml::GgufValue::f32(float(v))); }
void ArchKeys::str(const std::string& key, const std::string& v) const { w.set(arch + "." + key, ggml::GgufValue::str(v)); }

std::optional<JsonObject> rope_block(const JsonObject& c) {
    std::optional<JsonObject> r = c.has("rope_parameters") ? c.object("rope_parameters") : c.object("rope_scaling");
    if (r && r->has("full_attention")) return r->object("full_attention");
    return r;
}

std::string rope_type(const JsonObject& rope) {
    std::string t = rope.get_str("rope_type", rope.get_str("type", ""));
    for (char& ch : t) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    return t;
}

namespace {

// YaRN: the scale, the context it extends, and the optional tuning of its ramp and magnitude.
void write_yarn(const JsonObject& c, const JsonObject& r, const ArchKeys& k) {
    k.str("rope.scaling.type", "yarn");
    k.f32("rope.scaling.factor", r.get_float("factor"));
    const char* orig = "original_max_position_embeddings";
    if (!r.has(orig) && !c.has(orig)) r.fail("rope scaling of type yarn needs '" + std::string(orig) + "'");
    k.u32("rope.scaling.original_context_length", r.has(orig) ? r.get_size(orig) : c.get_size(orig));
    if (r.has("extrapolation_factor")) k.f32("rope.scaling.yarn_ext_factor", r.get_float("extrapolation_factor"));
    if (r.has("attention_factor") || r.has("attn_factor"))
        k.f32("rope.scaling.yarn_attn_factor", r.get_float(r.has("attention_factor") ? "attention_factor" : "attn_factor"));
    if (r.has("beta_fast")) k.f32("rope.scaling.yarn_beta_fast", r.get_float("beta_fast"));
    if (r.has("beta_slow")) k.f32("rope.scaling.yarn_beta_slow", r.get_float("beta_slow"));
}

// The RoPE scaling keys llama.cpp defines. Methods it has no type for are not written (a type name it does
// not know stops llama.cpp from loading the file): Llama 3's travels as the rope_freqs tensor (arch_llama),
// dynamic NTK is chosen at run time (--rope-scaling dynamic).
void write_rope_scaling(const JsonObject& c, const ArchKeys& k, const Warn& warn) {
    const std::optional<JsonObject> r = rope_block(c);
    if (!r) return;
    const std::string t = rope_type(*r);
    if (t.empty() || t == "default" || t == "llama3") return;
    if (t == "linear" && r->has("factor")) {
        k.str("rope.scaling.type", "linear");
        k.f32("rope.scaling.factor", r->get_float("factor"));
    } else if (t == "yarn" && r->has("factor")) {
        write_yarn(c, *r, k);
    } else if (t == "su" || t == "longrope") {
        k.str("rope.scaling.type", "longrope");
    } else if (warn) {
        warn("RoPE scaling '" + t + "' is not stored in GGUF (llama.cpp has no such type)" +
             (t == "dynamic" ? ": run with --rope-scaling dynamic --rope-scale " + std::to_string(r->get_float("factor", 1.0))
                             : std::string()));
    }
}

}  // namespace

void write_common_keys(const JsonObject& c, const ModelDims& m, const ConfigDefaults& d, const ArchKeys& k,
                       const Warn& warn) {
    k.u32("block_count", m.n_layer);
    k.u32("context_length", m.n_ctx);
    k.u32("embedding_length", m.n_embd);
    k.u32("feed_forward_length", m.n_ff);
    k.u32("attention.head_count", m.n_head);
    k.u32("attention.head_count_kv", m.n_head_kv);
    write_rope_scaling(c, k, warn);
    const std::optional<JsonObject> r = rope_block(c);
    const double theta = c.get_float("rope_theta", d.rope_theta);
    k.f32("rope.freq_base", r && r->has("rope_theta") ? r->get_float("rope_theta") : theta);
    k.f32("attention.layer_norm_rms_epsilon", c.get_float("rms_norm_eps", d.rms_norm_eps));
    if (m.head_dim_given) {
        k.u32("attention.key_length", m.head_dim);
        k.u32("attention.value_length", m.head_dim);
    }
}

TensorSpec model_tensor(const std::string& hf, const std::string& gguf, std::vector<int64_t> shape) {
    TensorSpec s;
    s.hf = "model." + hf;
    s.gguf = gguf;
    s.shape = std::move(shape);
    return s;
}

TensorSpec layer_tensor(int64_t il, const std::string& hf, const std::string& gguf, std::vector<int64_t> shape) {
    const std::string n = std::to_string(il);
    return model_tensor("layers." + n + "." + hf, "blk." + n + "." + gguf, std::move(shape));
}

void add_embeddings(std::vector<TensorSpec>& s, const ModelDims& m) {
    s.push_back(model_tensor("embed_tokens.weight", "token_embd.weight", {m.n_vocab, m.n_embd}));
    s.push_back(model_tensor("norm.weight", "output_norm.weight", {m.n_embd}));
    TensorSpec out;
    out.hf = "lm_head.weight";
    out.gguf = "output.weight";
    out.shape = {m.n_vocab, m.n_embd};
    out.required = !m.tied;  // tied: the output reuses token_embd (written only when the checkpoint has it)
    s.push_back(out);
}

void add_attention(std::vector<TensorSpec>& s, int64_t il, const ModelDims& m, bool permute, bool qkv_bias) {
    const int64_t e = m.n_embd, q = m.n_head * m.head_dim, kv = m.n_head_kv * m.head_dim;
    const struct {
        const char *hf, *gguf;
        int64_t rows, cols, heads;  // heads: Q/K, whose rows are reordered per head
        bool is_qkv;
    } proj[] = {{"q_proj", "attn_q", q, e, m.n_head, true}, {"k_proj", "attn_k", kv, e, m.n_head_kv, true},
                {"v_proj", "attn_v", kv, e, 0, true}, {"o_proj", "attn_output", e, q, 0, false}};
    for (const auto& p : proj) {
        TensorSpec w = layer_tensor(il, "self_attn." + std::string(p.hf) + ".weight", std::string(p.gguf) + ".weight",
                                    {p.rows, p.cols});
        TensorSpec b = layer_tensor(il, "self_attn." + std::string(p.hf) + ".bias", std::string(p.gguf) + ".bias", {p.rows});
        w.permute_heads = b.permute_heads = permute ? p.heads : 0;
        b.required = qkv_bias && p.is_qkv;
        s.push_back(std::move(w));
        s.push_back(std::move(b));
    }
}

void add_ffn(std::vector<TensorSpec>& s, int64_t il, const ModelDims& m) {
    s.push_back(layer_tensor(il, "mlp.gate_proj.weight", "ffn_gate.weight", {m.n_ff, m.n_embd}));
    s.push_back(layer_tensor(il, "mlp.up_proj.weight", "ffn_up.weight", {m.n_ff, m.n_embd}));
    s.push_back(layer_tensor(il, "mlp.down_proj.weight", "ffn_down.weight", {m.n_embd, m.n_ff}));
}

}  // namespace giraffe::convert
