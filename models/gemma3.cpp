// Gemma 3: five sliding-window layers (local RoPE base 10,000) then one global layer (the file's base),
// RMSNorm before and after attention and the FFN, per-head RMSNorm on Q and K, GeGLU (tanh), embeddings
// scaled by sqrt(n_embd), tied output. GGUF stores the norm weights with Gemma's "+1" already added.
#include <cmath>

#include "arch.h"
#include "graph_builder.h"

namespace giraffe {
namespace {

using ggml::Tensor;

constexpr int kGlobalEvery = 6;  // layers 5, 11, 17, ... attend globally

void load_hparams(const ggml::GgufFile&, HParams& hp) {
    hp.rope_neox = true;
    hp.rope_base_swa = 10000.0f;
    hp.embd_scale = std::sqrt(float(hp.n_embd));
    // query_pre_attn_scalar: head_dim for every size but 27B, which uses n_embd / n_head.
    const float qpas = hp.n_layer == 62 ? float(hp.n_embd / hp.n_head) : float(hp.head_dim_k);
    hp.attn_scale = 1.0f / std::sqrt(qpas);
    if (hp.sliding_window <= 0) hp.sliding_window = 512;
    for (int il = 0; il < hp.n_layer; il++)
        hp.layer_kind[size_t(il)] = (il + 1) % kGlobalEvery == 0 ? AttnKind::Full : AttnKind::Sliding;
}

void load_weights(Model& m) {
    const HParams& hp = m.hparams();
    const int64_t d = hp.n_embd, hd = hp.head_dim_k, q = hd * hp.n_head, kv = hd * hp.n_head_kv;
    Weights& w = m.mutable_weights();
    w.tok_embd = m.require("token_embd.weight", {d, hp.n_vocab});
    w.output_norm = m.require("output_norm.weight", {d});
    w.output = m.optional("output.weight", {d, hp.n_vocab});
    if (!w.output) w.output = w.tok_embd;
    for (int il = 0; il < hp.n_layer; il++) {
        const std::string p = "blk." + std::to_string(il) + ".";
        LayerWeights& l = w.layers[size_t(il)];
        l.attn_norm = m.require(p + "attn_norm.weight", {d});
        l.wq = m.require(p + "attn_q.weight", {d, q});
        l.wk = m.require(p + "attn_k.weight", {d, kv});
        l.wv = m.require(p + "attn_v.weight", {d, int64_t(hp.head_dim_v) * hp.n_head_kv});
        l.q_norm = m.require(p + "attn_q_norm.weight", {hd});
        l.k_norm = m.require(p + "attn_k_norm.weight", {hd});
        l.wo = m.require(p + "attn_output.weight", {int64_t(hp.head_dim_v) * hp.n_head, d});
        l.attn_post_norm = m.require(p + "post_attention_norm.weight", {d});
        l.ffn_norm = m.require(p + "ffn_norm.weight", {d});
        l.ffn_gate = m.require(p + "ffn_gate.weight", {d, hp.n_ff});
        l.ffn_up = m.require(p + "ffn_up.weight", {d, hp.n_ff});
        l.ffn_down = m.require(p + "ffn_down.weight", {hp.n_ff, d});
        l.ffn_post_norm = m.require(p + "post_ffw_norm.weight", {d});
    }
}

Tensor* build(GraphInputs& in) {
    ggml::Context& c = in.ctx;
    const HParams& hp = in.model.hparams();
    const int64_t n = in.n_tokens;
    Tensor* x = blocks::embed(in);
    for (int il = 0; il < hp.n_layer; il++) {
        const LayerWeights& l = in.model.weights().layers[size_t(il)];
        Tensor* h = blocks::rms_norm(in, x, l.attn_norm);
        Tensor* q = ggml::reshape(c, ggml::mul_mat(c, l.wq, h), {hp.head_dim_k, hp.n_head, n});
        Tensor* k = ggml::reshape(c, ggml::mul_mat(c, l.wk, h), {hp.head_dim_k, hp.n_head_kv, n});
        Tensor* v = ggml::reshape(c, ggml::mul_mat(c, l.wv, h), {hp.head_dim_v, hp.n_head_kv, n});
        q = blocks::rope(in, il, blocks::rms_norm(in, q, l.q_norm));
        k = blocks::rope(in, il, blocks::rms_norm(in, k, l.k_norm));
        Tensor* a = ggml::mul_mat(c, l.wo, blocks::attention(in, il, q, k, v, hp.attn_scale));
        x = ggml::add(c, x, blocks::rms_norm(in, a, l.attn_post_norm));
        h = blocks::rms_norm(in, x, l.ffn_norm);
        Tensor* f = blocks::gated_ffn(in, l, h, ggml::GluOp::GeGluTanh);
        x = ggml::add(c, x, blocks::rms_norm(in, f, l.ffn_post_norm));
    }
    return blocks::logits(in, x);
}

}  // namespace

extern const Architecture kGemma3 = {"gemma3", load_hparams, load_weights, build};

}  // namespace giraffe
