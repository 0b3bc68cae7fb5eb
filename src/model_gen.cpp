#include "model_gen.h"


#include <cmath>
#include <stdexcept>
#include <vector>

#include "ggml/gguf.h"
#include "ggml/threads.h"

namespace giraffe {

ModelShape tinyllama_shape() { return ModelShape{}; }

namespace {

// splitmix64: a tiny, well-mixed generator; one stream per (tensor, row) so rows fill in parallel.
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// Approximately normal values (sum of four uniforms), scaled; deterministic per seed.
void fill_row(uint64_t seed, float* out, int64_t n, float scale, float offset) {
    uint64_t s = mix(seed);
    for (int64_t i = 0; i < n; i++) {
        float acc = 0;
        for (int k = 0; k < 2; k++) {
            s = mix(s);
            acc += float(s & 0xffffffffu) * (1.0f / 4294967296.0f) + float(s >> 32) * (1.0f / 4294967296.0f);
        }
        out[i] = offset + scale * (acc - 2.0f) * 1.7320508f;  // 4 uniforms: variance 1/3 -> 1
    }
}

struct Spec {
    std::string name;
    int64_t ne0, ne1;  // ne1 == 1: a vector (kept F32)
    float scale, offset;
};

std::vector<Spec> tensor_specs(const ModelShape& s) {
    const int64_t d = s.n_embd, hd = s.head_dim ? s.head_dim : s.n_embd / s.n_head;
    const int64_t q = hd * s.n_head, kv = hd * s.n_head_kv;
    const float wd = 1.0f / std::sqrt(float(d)), wq = 1.0f / std::sqrt(float(q)), wf = 1.0f / std::sqrt(float(s.n_ff));
    const bool gemma = s.arch == "gemma3", phi3 = s.arch == "phi3";
    std::vector<Spec> v;
    v.push_back({"token_embd.weight", d, s.n_vocab, gemma ? wd : 1.0f, 0.0f});
    v.push_back({"output_norm.weight", d, 1, 0.1f, 1.0f});
    if (!gemma) v.push_back({"output.weight", d, s.n_vocab, wd, 0.0f});
    for (int il = 0; il < s.n_layer; il++) {
        const std::string p = "blk." + std::to_string(il) + ".";
        v.push_back({p + "attn_norm.weight", d, 1, 0.1f, 1.0f});
        if (phi3 && s.fused_qkv) {
            v.push_back({p + "attn_qkv.weight", d, q + 2 * kv, wd, 0.0f});
        } else {
            v.push_back({p + "attn_q.weight", d, q, wd, 0.0f});
            v.push_back({p + "attn_k.weight", d, kv, wd, 0.0f});
            v.push_back({p + "attn_v.weight", d, kv, wd, 0.0f});
        }
        if (s.arch == "qwen2") {
            v.push_back({p + "attn_q.bias", q, 1, 0.1f, 0.0f});
            v.push_back({p + "attn_k.bias", kv, 1, 0.1f, 0.0f});
            v.push_back({p + "attn_v.bias", kv, 1, 0.1f, 0.0f});
        }
        if (gemma) {
            v.push_back({p + "attn_q_norm.weight", hd, 1, 0.1f, 1.0f});
            v.push_back({p + "attn_k_norm.weight", hd, 1, 0.1f, 1.0f});
            v.push_back({p + "post_attention_norm.weight", d, 1, 0.1f, 1.0f});
            v.push_back({p + "post_ffw_norm.weight", d, 1, 0.1f, 1.0f});
        }
        v.push_back({p + "attn_output.weight", q, d, wq, 0.0f});
        v.push_back({p + "ffn_norm.weight", d, 1, 0.1f, 1.0f});
        if (!phi3) v.push_back({p + "ffn_gate.weight", d, s.n_ff, wd, 0.0f});
        v.push_back({p + "ffn_up.weight", d, phi3 ? 2 * s.n_ff : s.n_ff, wd, 0.0f});  // phi3: gate rows, then up
        v.push_back({p + "ffn_down.weight", s.n_ff, d, wf, 0.0f});
    }
    return v;
}

// A SentencePiece-style vocabulary: control tokens, the 256 byte tokens, '▁', the letters, then pieces
// "▁w<i>".
void add_vocab(ggml::GgufWriter& w, int n_vocab) {
    if (n_vocab < 300) throw std::invalid_argument("random models need a vocabulary of at least 300 tokens");
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<int32_t> types;
    auto add = [&](std::string t, float score, int32_t type) {
        tokens.push_back(std::move(t));
        scores.push_back(score);
        types.push_back(type);
    };
    add("<unk>", 0, 2);
    add("<s>", 0, 3);
    add("</s>", 0, 3);
    static const char* hex = "0123456789ABCDEF";
    for (int b = 0; b < 256; b++) add(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">", 0, 6);
    add("\xe2\x96\x81", -0.5f, 1);  // the SentencePiece space
    static const char* letters = "abcdefghijklmnopqrstuvwxyz";
    for (int i = 0; i < 26 && int(tokens.size()) < n_vocab; i++) add(std::string(1, letters[i]), -1.0f - float(i), 1);
    for (int i = 0; int(tokens.size()) < n_vocab; i++) add("\xe2\x96\x81w" + std::to_string(i), -100.0f - float(i), 1);
    w.set("tokenizer.ggml.model", ggml::GgufValue::str("llama"));
    w.set("tokenizer.ggml.tokens", ggml::GgufValue::array(std::move(tokens)));
    w.set("tokenizer.ggml.scores", ggml::GgufValue::array(scores));
    w.set("tokenizer.ggml.token_type", ggml::GgufValue::array(types));
    w.set("tokenizer.ggml.unknown_token_id", ggml::GgufValue::u32(0));
    w.set("tokenizer.ggml.bos_token_id", ggml::GgufValue::u32(1));
    w.set("tokenizer.ggml.eos_token_id", ggml::GgufValue::u32(2));
    w.set("tokenizer.ggml.add_bos_token", ggml::GgufValue::boolean(true));
}

}  // namespace

void write_random_model(const std::string& path, const ModelShape& s,
                        const std::function<void(size_t, size_t)>& progress) {
    if (s.arch != "llama" && s.arch != "qwen2" && s.arch != "gemma3" && s.arch != "phi3")
        throw std::invalid_argument("unknown architecture '" + s.arch + "' (llama, qwen2, gemma3, phi3)");
    if (s.n_embd <= 0 || s.n_layer <= 0 || s.n_head <= 0 || s.n_head_kv <= 0 || s.n_head % s.n_head_kv ||
        s.n_ff <= 0 || (!s.head_dim && s.n_embd % s.n_head))
        throw std::invalid_argument("inconsistent model shape");
    const int hd = s.head_dim ? s.head_dim : s.n_embd / s.n_head, n_rot = s.n_rot ? s.n_rot : hd;
    if (n_rot < 0 || n_rot > hd || n_rot % 2) throw std::invalid_argument("n_rot must be even and at most the head size");
    const ggml::TypeTraits& tt = ggml::type_traits(s.type);
    if (!tt.name || !tt.from_float) throw std::invalid_argument("cannot write weights of that type");

    ggml::GgufWriter w;
    const std::string a = s.arch + ".";
    w.set("general.architecture", ggml::GgufValue::str(s.arch));
    w.set("general.name", ggml::GgufValue::str("giraffe random " + s.arch));
    w.set(a + "context_length", ggml::GgufValue::u32(uint32_t(s.n_ctx)));
    w.set(a + "embedding_length", ggml::GgufValue::u32(uint32_t(s.n_embd)));
    w.set(a + "block_count", ggml::GgufValue::u32(uint32_t(s.n_layer)));
    w.set(a + "feed_forward_length", ggml::GgufValue::u32(uint32_t(s.n_ff)));
    w.set(a + "attention.head_count", ggml::GgufValue::u32(uint32_t(s.n_head)));
    w.set(a + "attention.head_count_kv", ggml::GgufValue::u32(uint32_t(s.n_head_kv)));
    w.set(a + "attention.key_length", ggml::GgufValue::u32(uint32_t(hd)));
    w.set(a + "attention.value_length", ggml::GgufValue::u32(uint32_t(hd)));
    w.set(a + "attention.layer_norm_rms_epsilon", ggml::GgufValue::f32(s.norm_eps));
    w.set(a + "rope.freq_base", ggml::GgufValue::f32(s.rope_base));
    if (s.n_rot > 0) w.set(a + "rope.dimension_count", ggml::GgufValue::u32(uint32_t(s.n_rot)));
    if (s.sliding_window > 0) w.set(a + "attention.sliding_window", ggml::GgufValue::u32(uint32_t(s.sliding_window)));
    if (!s.rope_scaling.empty()) w.set(a + "rope.scaling.type", ggml::GgufValue::str(s.rope_scaling));
    if (s.rope_scale > 0) w.set(a + "rope.scaling.factor", ggml::GgufValue::f32(s.rope_scale));
    if (s.rope_orig_ctx > 0) w.set(a + "rope.scaling.original_context_length", ggml::GgufValue::u32(uint32_t(s.rope_orig_ctx)));
    if (s.rope_attn_factor > 0) w.set(a + "rope.scaling.attn_factor", ggml::GgufValue::f32(s.rope_attn_factor));
    add_vocab(w, s.n_vocab);

    const std::vector<Spec> specs = tensor_specs(s);
    size_t total = 0, done = 0;
    for (const Spec& sp : specs)
        total += sp.ne1 == 1 ? size_t(sp.ne0) * 4 : ggml::row_size(s.type, sp.ne0) * size_t(sp.ne1);
    uint64_t tensor_seed = s.seed;
    for (const Spec& sp : specs) {
        tensor_seed = mix(tensor_seed);
        const uint64_t seed = tensor_seed;
        const bool vec = sp.ne1 == 1;
        const ggml::Type type = vec ? ggml::Type::F32 : s.type;
        if (!vec && sp.ne0 % tt.block_size)
            throw std::invalid_argument(sp.name + ": row length " + std::to_string(sp.ne0) + " does not fit " + tt.name + " blocks");
        const int64_t ne[2] = {sp.ne0, sp.ne1};
        w.add_tensor(sp.name, type, vec ? 1 : 2, ne, [=, &done, &progress](const ggml::GgufWriter::ByteSink& sink) {
            const ggml::TypeTraits& t = ggml::type_traits(type);
            const size_t row_bytes = ggml::row_size(type, sp.ne0);
            const int64_t chunk = 256;  // rows filled in parallel, then written in order
            std::vector<float> f(size_t(chunk * sp.ne0));
            std::vector<uint8_t> out(size_t(chunk) * row_bytes);
            for (int64_t r0 = 0; r0 < sp.ne1; r0 += chunk) {
                const int64_t nr = std::min(chunk, sp.ne1 - r0);
                ggml::parallel_for_static(nr, ggml::default_threads(), [&](int64_t r) {
                    fill_row(seed ^ uint64_t(r0 + r) * 0x9e3779b97f4a7c15ull, &f[size_t(r * sp.ne0)], sp.ne0, sp.scale, sp.offset);
                    t.from_float(&f[size_t(r * sp.ne0)], &out[size_t(r) * row_bytes], sp.ne0);
                });
                sink(out.data(), size_t(nr) * row_bytes);
                done += size_t(nr) * row_bytes;
                if (progress) progress(done, total);
            }
        });
    }
    const std::pair<const char*, const std::vector<float>*> rope_tensors[] = {
        {"rope_freqs.weight", &s.rope_freqs}, {"rope_factors_short.weight", &s.rope_factors_short},
        {"rope_factors_long.weight", &s.rope_factors_long}};
    for (const auto& [name, values] : rope_tensors) {
        if (values->empty()) continue;
        if (values->size() != size_t(n_rot / 2)) throw std::invalid_argument(std::string(name) + " needs n_rot / 2 values");
        const int64_t ne[1] = {int64_t(values->size())};
        w.add_tensor(name, ggml::Type::F32, 1, ne, [values](const ggml::GgufWriter::ByteSink& sink) {
            sink(values->data(), values->size() * sizeof(float));
        });
    }
    w.write(path);
}

}  // namespace giraffe
