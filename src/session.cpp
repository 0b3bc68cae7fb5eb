#include "session.h"

#include <algorithm>
#include <stdexcept>

#include "arch.h"
#include "backends/cpu/cpu_backend.h"
#include "graph_builder.h"

namespace giraffe {

Session::Session(const Model& model, const SessionParams& params)
    : model_(model), hp_(model.hparams()), params_(params) {
    if (params.rope_base) {
        if (!(*params.rope_base > 0)) throw std::invalid_argument("RoPE base must be positive");
        hp_.rope_base = *params.rope_base;
    }
    const HParams& hp = hp_;
    n_ctx_ = params.n_ctx > 0 ? params.n_ctx : std::min(hp.n_ctx_train, 4096);
    if (n_ctx_ < 1 || n_ctx_ > (1 << 24))
        throw std::invalid_argument("context size " + std::to_string(n_ctx_) + " is out of range (1 .. 16777216)");
    if (params_.n_ubatch < 1) throw std::invalid_argument("micro-batch size must be positive");
    params_.n_ubatch = std::min(params_.n_ubatch, n_ctx_);
    rope_ = params.rope_scaling ? *params.rope_scaling : hp.rope_scaling;
    if (rope_.orig_ctx <= 0) rope_.orig_ctx = hp.n_ctx_train;
    // Beyond the trained context with no scaling asked for: pick YaRN rather than degrade silently.
    if (!params.rope_scaling && rope_.type == RopeScalingType::None && n_ctx_ > hp.n_ctx_train) {
        rope_.type = RopeScalingType::Yarn;
        rope_.factor = float(n_ctx_) / float(hp.n_ctx_train);
        rope_note_ = "context " + std::to_string(n_ctx_) + " exceeds the trained " + std::to_string(hp.n_ctx_train) +
                     ": using YaRN scaling, factor " + std::to_string(rope_.factor);
    }
    if (params.n_threads > 0) ggml::cpu_set_threads(model.cpu(), params.n_threads);
    kv_ = std::make_unique<KvCache>(hp, n_ctx_, params_.n_ubatch, params.kv_type, model.cpu());
    sched_ = std::make_unique<ggml::Scheduler>(std::vector<ggml::Backend*>{&model.cpu()});
}

Session::~Session() = default;

void Session::clear() {
    kv_->clear();
    n_past_ = 0;
    n_out_ = 0;
    logits_.clear();
    logits_in_place_ = nullptr;
}

void Session::decode(const std::vector<int32_t>& tokens, bool all_logits, const Progress& progress) {
    if (tokens.empty()) throw std::invalid_argument("decode: no tokens");
    if (n_past_ + int64_t(tokens.size()) > n_ctx_)
        throw std::length_error("the prompt needs " + std::to_string(n_past_ + tokens.size()) +
                                " tokens but the context holds " + std::to_string(n_ctx_) + " (raise -c)");
    const int32_t n_vocab = model_.hparams().n_vocab;
    for (int32_t t : tokens)
        if (t < 0 || t >= n_vocab) throw std::out_of_range("token id " + std::to_string(t) + " is outside the vocabulary");
    std::vector<float> all;
    const int n = int(tokens.size());
    for (int done = 0; done < n;) {
        const int len = std::min(params_.n_ubatch, n - done);
        decode_ubatch(tokens.data() + done, len, all_logits);
        if (all_logits) all.insert(all.end(), logits_.begin(), logits_.end());
        done += len;
        if (progress) progress(done, n);
    }
    if (all_logits) {
        logits_ = std::move(all);
        n_out_ = n;
    }
}

void Session::decode_ubatch(const int32_t* tokens, int n, bool all_logits) {
    const HParams& hp = model_.hparams();
    ggml::Context ctx;
    ggml::Tensor* tok = ctx.new_tensor(ggml::Type::I32, {n});
    ggml::Tensor* pos = ctx.new_tensor(ggml::Type::I32, {n});
    tok->name = "tokens";
    pos->name = "positions";
    kv_->commit(n_past_, n);
    ggml::Tensor* mask[2] = {};
    // One mask per attention kind present in the model.
    int layer_of_kind[2] = {-1, -1};
    for (int il = 0; il < hp.n_layer; il++) layer_of_kind[hp.is_swa(il) ? 1 : 0] = il;
    std::vector<std::vector<float>> mask_data(2);
    for (int kind = 0; kind < 2; kind++) {
        const int il = layer_of_kind[kind] >= 0 ? layer_of_kind[kind] : layer_of_kind[1 - kind];
        const KvCache::Ring& r = kv_->ring_of(il);
        const int n_kv = kv_->n_attend(r, n_past_ + n);
        mask[kind] = ctx.new_tensor(ggml::Type::F32, {n_kv, n});
        mask[kind]->name = kind ? "mask_swa" : "mask";
        mask_data[size_t(kind)].resize(size_t(n_kv) * size_t(n));
        kv_->fill_mask(r, n_past_, n, n_kv, mask_data[size_t(kind)].data());
    }
    GraphInputs in{ctx, model_, *kv_, n, n_past_, all_logits, tok, pos, {mask[0], mask[1]}, {}, params_.attn_scores_bytes};
    std::vector<std::vector<float>> factors(2);
    for (int kind = 0; kind < 2; kind++) {
        ResolvedRope rr = resolve_rope(hp_, rope_, kind == 1, n_past_ + n);
        in.rope[kind].params = rr.params;
        if (!rr.freq_factors.empty()) {
            factors[size_t(kind)] = std::move(rr.freq_factors);
            ggml::Tensor* f = ctx.new_tensor(ggml::Type::F32, {int64_t(factors[size_t(kind)].size())});
            f->name = "rope_factors";
            in.rope[kind].freq_factors = f;
        } else if (kind == 0 && model_.weights().rope_freqs) {
            in.rope[kind].freq_factors = model_.weights().rope_freqs;
        }
    }
    ggml::Tensor* out = model_.arch().build(in);
    auto buf = ggml::alloc_ctx_tensors(model_.cpu(), ctx);
    ggml::tensor_set(tok, tokens, size_t(n) * 4);
    std::vector<int32_t> positions(static_cast<size_t>(n));
    for (int i = 0; i < n; i++) positions[size_t(i)] = n_past_ + i;
    ggml::tensor_set(pos, positions.data(), size_t(n) * 4);
    for (int kind = 0; kind < 2; kind++) {
        ggml::tensor_set(mask[kind], mask_data[size_t(kind)].data(), mask_data[size_t(kind)].size() * 4);
        if (!factors[size_t(kind)].empty())
            ggml::tensor_set(in.rope[kind].freq_factors, factors[size_t(kind)].data(), factors[size_t(kind)].size() * 4);
    }
    ggml::Graph g = ggml::build_graph({out});
    sched_->compute(g);
    n_out_ = int(out->ne[1]);
    logits_in_place_ = nullptr;
    if (!all_logits && out->buffer && out->buffer->is_host() && out->is_contiguous()) {
        logits_in_place_ = static_cast<const float*>(out->data);  // the scheduler's memory, kept until the next compute
    } else {
        logits_.resize(size_t(out->nelements()));
        ggml::tensor_get(out, logits_.data(), logits_.size() * 4);
    }
    n_past_ += n;
}

const float* Session::logits(int i) const {
    if (n_out_ == 0) throw std::logic_error("no logits: decode first");
    if (i < 0) i = n_out_ - 1;
    return (logits_in_place_ ? logits_in_place_ : logits_.data()) + size_t(i) * size_t(model_.hparams().n_vocab);
}

}  // namespace giraffe
