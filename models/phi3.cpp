// Phi-3, Phi-3.5 mini and Phi-4 (mini): the Llama block with fused weights (one attn_qkv of Q, K then V rows,
// one ffn_up of gate then up rows; separate attn_q/k/v are accepted too), NeoX-paired RoPE that may rotate part
// of each head (Phi-4 mini: 3/4), and LongRoPE on the 128K models: per-pair divisors rope_factors_short within
// the original context and rope_factors_long beyond it, with rope.scaling.attn_factor on cos and sin (read by
// read_common_hparams and Model for every architecture; see rope_scaling.h).
#include "arch.h"
#include "graph_builder.h"

namespace giraffe {

ggml::Tensor* build_llama_like(GraphInputs& in);

namespace {

void load_hparams(const ggml::GgufFile&, HParams& hp) {
    hp.rope_neox = true;
    // The converter writes the config's sliding_window (Phi-3 mini 4K: 2047), but llama.cpp runs every phi3
    // layer with full attention (ggml-org/llama.cpp#13676): so do we, for the same results on the same files.
    hp.sliding_window = 0;
}

void load_weights(Model& m) {
    const HParams& hp = m.hparams();
    const int64_t d = hp.n_embd, q = int64_t(hp.head_dim_k) * hp.n_head;
    const int64_t k = int64_t(hp.head_dim_k) * hp.n_head_kv, v = int64_t(hp.head_dim_v) * hp.n_head_kv;
    Weights& w = m.mutable_weights();
    w.tok_embd = m.require("token_embd.weight", {d, hp.n_vocab});
    w.output_norm = m.require("output_norm.weight", {d});
    w.output = m.optional("output.weight", {d, hp.n_vocab});
    if (!w.output) w.output = w.tok_embd;  // Phi-4 mini ties them
    for (int il = 0; il < hp.n_layer; il++) {
        const std::string p = "blk." + std::to_string(il) + ".";
        LayerWeights& l = w.layers[size_t(il)];
        l.attn_norm = m.require(p + "attn_norm.weight", {d});
        l.wqkv = m.optional(p + "attn_qkv.weight", {d, q + k + v});
        if (!l.wqkv) {
            l.wq = m.require(p + "attn_q.weight", {d, q});
            l.wk = m.require(p + "attn_k.weight", {d, k});
            l.wv = m.require(p + "attn_v.weight", {d, v});
        }
        l.wo = m.require(p + "attn_output.weight", {int64_t(hp.head_dim_v) * hp.n_head, d});
        l.ffn_norm = m.require(p + "ffn_norm.weight", {d});
        l.ffn_up = m.require(p + "ffn_up.weight", {d, 2 * int64_t(hp.n_ff)});  // no ffn_gate: fused (gated_ffn)
        l.ffn_down = m.require(p + "ffn_down.weight", {hp.n_ff, d});
    }
}

}  // namespace

extern const Architecture kPhi3 = {"phi3", load_hparams, load_weights, build_llama_like};

}  // namespace giraffe
