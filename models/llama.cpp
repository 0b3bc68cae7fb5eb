// Llama 2/3, TinyLlama, SmolLM, Mistral: pre-norm blocks, RoPE (adjacent pairs), grouped-query attention,
// SwiGLU feed-forward. Mistral's sliding_window metadata makes every layer a sliding one.
#include <cmath>

#include "arch.h"
#include "graph_builder.h"

namespace giraffe {
namespace {

using ggml::Tensor;

void load_hparams(const ggml::GgufFile&, HParams& hp) {
    hp.rope_neox = false;
    if (hp.sliding_window > 0) hp.layer_kind.assign(size_t(hp.n_layer), AttnKind::Sliding);
}

// Shared by the llama-like architectures (qwen2 adds biases).
void load_llama_like(Model& m, bool biases) {
    const HParams& hp = m.hparams();
    const int64_t d = hp.n_embd, v = hp.n_vocab, q = int64_t(hp.head_dim_k) * hp.n_head;
    const int64_t kd = int64_t(hp.head_dim_k) * hp.n_head_kv, vd = int64_t(hp.head_dim_v) * hp.n_head_kv;
    Weights& w = m.mutable_weights();
    w.tok_embd = m.require("token_embd.weight", {d, v});
    w.output_norm = m.require("output_norm.weight", {d});
    w.output = m.optional("output.weight", {d, v});
    if (!w.output) w.output = w.tok_embd;
    w.rope_freqs = m.optional("rope_freqs.weight", {hp.n_rot / 2});
    for (int il = 0; il < hp.n_layer; il++) {
        const std::string p = "blk." + std::to_string(il) + ".";
        LayerWeights& l = w.layers[size_t(il)];
        l.attn_norm = m.require(p + "attn_norm.weight", {d});
        l.wq = m.require(p + "attn_q.weight", {d, q});
        l.wk = m.require(p + "attn_k.weight", {d, kd});
        l.wv = m.require(p + "attn_v.weight", {d, vd});
        l.wo = m.require(p + "attn_output.weight", {q, d});
        if (biases) {
            l.bq = m.require(p + "attn_q.bias", {q});
            l.bk = m.require(p + "attn_k.bias", {kd});
            l.bv = m.require(p + "attn_v.bias", {vd});
        }
        l.ffn_norm = m.require(p + "ffn_norm.weight", {d});
        l.ffn_gate = m.require(p + "ffn_gate.weight", {d, hp.n_ff});
        l.ffn_up = m.require(p + "ffn_up.weight", {d, hp.n_ff});
        l.ffn_down = m.require(p + "ffn_down.weight", {hp.n_ff, d});
    }
}

void load_weights(Model& m) { load_llama_like(m, false); }

}  // namespace

// x + attn(norm(x)); then + ffn(norm(x)). Also the qwen2 graph (biases are simply non-null there) and
// phi3's (fused QKV and gate|up weights: the blocks split their products).
Tensor* build_llama_like(GraphInputs& in) {
    ggml::Context& c = in.ctx;
    const HParams& hp = in.model.hparams();
    const float scale = hp.attn_scale > 0 ? hp.attn_scale : 1.0f / std::sqrt(float(hp.head_dim_k));
    Tensor* x = blocks::embed(in);
    for (int il = 0; il < hp.n_layer; il++) {
        const LayerWeights& l = in.model.weights().layers[size_t(il)];
        Tensor* h = blocks::rms_norm(in, x, l.attn_norm);
        const blocks::Qkv t = blocks::qkv(in, l, h);
        Tensor* q = blocks::rope(in, il, t.q);
        Tensor* k = blocks::rope(in, il, t.k);
        Tensor* a = blocks::attention(in, il, q, k, t.v, scale);
        x = ggml::add(c, x, ggml::mul_mat(c, l.wo, a));
        h = blocks::rms_norm(in, x, l.ffn_norm);
        x = ggml::add(c, x, blocks::gated_ffn(in, l, h, ggml::GluOp::SwiGlu));
    }
    return blocks::logits(in, x);
}

void load_llama_like_weights(Model& m, bool biases) { load_llama_like(m, biases); }

extern const Architecture kLlama = {"llama", load_hparams, load_weights, build_llama_like};

}  // namespace giraffe
