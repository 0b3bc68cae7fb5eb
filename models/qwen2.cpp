// Qwen 2: the Llama block with biases on the Q, K and V projections and NeoX-paired RoPE.
#include "arch.h"
#include "graph_builder.h"

namespace giraffe {

ggml::Tensor* build_llama_like(GraphInputs& in);
void load_llama_like_weights(Model& m, bool biases);

namespace {

void load_hparams(const ggml::GgufFile&, HParams& hp) {
    hp.rope_neox = true;
    if (hp.sliding_window > 0) hp.layer_kind.assign(size_t(hp.n_layer), AttnKind::Sliding);
}

void load_weights(Model& m) { load_llama_like_weights(m, true); }

}  // namespace

extern const Architecture kQwen2 = {"qwen2", load_hparams, load_weights, build_llama_like};

}  // namespace giraffe
