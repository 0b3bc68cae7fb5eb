#include "session.h"

#include <algorithm>
#include <stdexcept>

#include "arch.h"
#include "graph_builder.h"
#include "kv_shift.h"

namespace giraffe {

// A micro-batch's graph and the inputs it reads besides the weights and the cache. The graph of one token
// is kept and reused while what shapes it holds (the cells attended, the RoPE settings, the outputs): a
// decoded token then skips building the graph and the scheduler's passes over it (Gemma 3 270M on 2 cores:
// host time 0.6 -> 0.07 ms a token); only the cache writes move to the token's cells.
struct Session::StepGraph {
    ggml::Context ctx;
    std::unique_ptr<ggml::Buffer> inputs;
    ggml::Graph graph;
    ggml::Tensor *tok = nullptr, *pos = nullptr, *out = nullptr;
    ggml::Tensor* mask[2] = {};
    ggml::Tensor* kv_start[2] = {};
    ggml::Tensor* out_rows = nullptr;
    ggml::Tensor* factors[2] = {};  // only those this session fills (a model's own rope_freqs is a weight)
    std::vector<CellWrite> writes;
    std::vector<char> shape;  // what the graph's shape depends on
};

ggml::Type kv_cache_type(const std::string& name, const std::string& setting) {
    using ggml::Type;
    Type t;
    const bool ok = ggml::type_from_name(name, &t) &&
                    (t == Type::F16 || t == Type::BF16 || t == Type::F32 || t == Type::Q8_0 || t == Type::Q4_0 ||
                     t == Type::Q4_1 || t == Type::Q5_0 || t == Type::Q5_1);
    if (!ok) throw std::invalid_argument(setting + " must be f16, bf16, f32, q8_0, q4_0, q4_1, q5_0 or q5_1, got '" + name + "'");
    return t;
}

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
    if (params.n_seq < 1 || params.n_seq > 4096)
        throw std::invalid_argument("the number of sequences must be 1 .. 4096, got " + std::to_string(params.n_seq));
    if (params.n_seq > 1 && params.flash_attn == FlashAttn::Off)
        throw std::invalid_argument("several sequences at once need flash attention (drop -fa off)");
    if (params.n_seq > 1 && model.gpu())
        throw std::invalid_argument(std::string("several sequences at once run on the CPU only for now: drop --device ") +
                                    model.gpu()->name());
    n_past_.assign(size_t(params.n_seq), 0);
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
    if (params.n_threads > 0)
        for (ggml::Backend* b : model.backends()) b->set_n_threads(params.n_threads);
    std::vector<ggml::Backend*> layer_backends;
    for (int il = 0; il < hp.n_layer; il++) layer_backends.push_back(&model.layer_backend(il));
    KvTypes types{params.kv_type_k, params.kv_type_v, params.flash_attn == FlashAttn::Off};
    const bool blocks = ggml::type_traits(types.k).quantized || ggml::type_traits(types.v).quantized;
    if (blocks && model.gpu())
        throw std::invalid_argument(std::string("quantized KV cache types run on the CPU only: drop --device ") +
                                    model.gpu()->name() + " or use f16");
    kv_ = std::make_unique<KvCache>(hp, n_ctx_, params_.n_ubatch, types, layer_backends, params.n_seq);
    sched_ = std::make_unique<ggml::Scheduler>(model.backends());
}

Session::~Session() = default;

void Session::clear() {
    kv_->clear();
    std::fill(n_past_.begin(), n_past_.end(), 0);
    n_out_ = 0;
    logits_.clear();
    logits_in_place_ = nullptr;
}

void Session::check_seq(int seq) const {
    if (seq < 0 || seq >= n_seq())
        throw std::out_of_range("sequence " + std::to_string(seq) + " is outside 0 .. " + std::to_string(n_seq() - 1));
}

void Session::clear_seq(int seq) {
    check_seq(seq);
    kv_->clear_seq(seq);
    n_past_[size_t(seq)] = 0;
}

int32_t Session::keep_prefix(int seq, int32_t n) {
    check_seq(seq);
    int32_t& n_past = n_past_[size_t(seq)];
    n = std::max<int32_t>(0, std::min(n, n_past));
    if (n == n_past) return n;
    n_past = kv_->truncate(seq, n, n_past);
    return n_past;
}

int Session::shift(int keep, int seq) {
    check_seq(seq);
    if (keep < 0)
        throw std::invalid_argument("the tokens kept by a context shift must not be negative, got " + std::to_string(keep));
    int32_t& n_past = n_past_[size_t(seq)];
    if (keep >= n_past) return 0;
    const int32_t n_drop = (n_past - keep) / 2;
    if (n_drop < 1) return 0;
    // The last logits came from the context before the shift and stay valid; the scheduler's memory they
    // may sit in does not (the rotation graph reuses it), nor do the kept graph's placements there.
    if (logits_in_place_) {
        logits_.assign(logits_in_place_, logits_in_place_ + size_t(n_out_) * size_t(model_.hparams().n_vocab));
        logits_in_place_ = nullptr;
    }
    step_.reset();
    // The keys are rotated again with decode's settings and divisors.
    ResolvedRope rope[2];
    ggml::Tensor* factors[2];
    layer_ropes(n_past, rope, factors);
    const std::vector<KvCache::CellRun> runs = kv_->shift(seq, keep, n_drop, n_past);
    n_past -= n_drop;
    try {
        rotate_keys(*sched_, model_.cpu(), hp_, *kv_, runs, -n_drop, rope, factors);
    } catch (...) {
        clear();  // half-shifted keys would be wrong: start empty rather than from them
        throw;
    }
    return n_drop;
}

void Session::layer_ropes(int32_t length, ResolvedRope rope[2], ggml::Tensor* own[2]) const {
    for (int kind = 0; kind < 2; kind++) rope[kind] = resolve_rope(hp_, rope_, kind == 1, length);
    own[0] = model_rope_factors(model_.weights(), rope_, n_ctx_);
    own[1] = nullptr;  // sliding layers are never extended
    if (own[0]) rope[0].freq_factors.clear();
}

void Session::check_tokens(const std::vector<int32_t>& tokens) const {
    const int32_t n_vocab = model_.hparams().n_vocab;
    for (int32_t t : tokens)
        if (t < 0 || t >= n_vocab) throw std::out_of_range("token id " + std::to_string(t) + " is outside the vocabulary");
}

void Session::decode(const std::vector<int32_t>& tokens, bool all_logits, const Progress& progress) {
    if (tokens.empty()) throw std::invalid_argument("decode: no tokens");
    if (n_past_[0] + int64_t(tokens.size()) > n_ctx_)
        throw std::length_error("the prompt needs " + std::to_string(n_past_[0] + tokens.size()) +
                                " tokens but the context holds " + std::to_string(n_ctx_) + " (raise -c)");
    check_tokens(tokens);
    std::vector<float> all;
    const int n = int(tokens.size());
    for (int done = 0; done < n;) {
        const int len = std::min(params_.n_ubatch, n - done);
        decode_ubatch(tokens.data() + done, {{0, 0, len, n_past_[0]}}, all_logits, {});
        if (all_logits) all.insert(all.end(), logits_.begin(), logits_.end());
        done += len;
        if (progress) progress(done, n);
    }
    if (all_logits) {
        logits_ = std::move(all);
        n_out_ = n;
    }
}

void Session::decode_batch(const std::vector<SeqTokens>& batch) {
    if (batch.empty()) throw std::invalid_argument("decode_batch: no sequences");
    std::vector<char> named(size_t(n_seq()), 0);
    for (const SeqTokens& e : batch) {
        check_seq(e.seq);
        if (named[size_t(e.seq)]++) throw std::invalid_argument("decode_batch: sequence " + std::to_string(e.seq) + " named twice");
        if (e.tokens.empty()) throw std::invalid_argument("decode_batch: sequence " + std::to_string(e.seq) + " has no tokens");
        if (n_past_[size_t(e.seq)] + int64_t(e.tokens.size()) > n_ctx_)
            throw std::length_error("sequence " + std::to_string(e.seq) + " needs " + std::to_string(n_past_[size_t(e.seq)] + e.tokens.size()) +
                                    " positions but holds " + std::to_string(n_ctx_));
        check_tokens(e.tokens);
    }
    // Micro-batches of up to n_ubatch tokens, taken in order (an entry may continue into the next one).
    const int32_t n_vocab = model_.hparams().n_vocab;
    std::vector<int32_t> tokens;
    std::vector<SeqRun> runs;
    std::vector<int32_t> out_rows;
    std::vector<float> kept;  // logits of earlier micro-batches
    auto flush = [&](bool last) {
        decode_ubatch(tokens.data(), runs, false, out_rows);
        const int outs = int(out_rows.size());
        n_out_ = outs;  // the graph made one row anyway when none was asked for
        if (!last || !kept.empty()) {  // outputs from several micro-batches: joined in host memory
            if (outs > 0) kept.insert(kept.end(), logits(0), logits(0) + size_t(outs) * size_t(n_vocab));
            if (last) {
                n_out_ = int(kept.size() / size_t(n_vocab));
                logits_ = std::move(kept);
                logits_in_place_ = nullptr;
            }
        }
        tokens.clear(), runs.clear(), out_rows.clear();
    };
    for (const SeqTokens& e : batch)
        for (size_t done = 0; done < e.tokens.size();) {
            if (int(tokens.size()) == params_.n_ubatch) flush(false);
            const size_t len = std::min(e.tokens.size() - done, size_t(params_.n_ubatch) - tokens.size());
            runs.push_back({e.seq, int(tokens.size()), int(len), n_past_[size_t(e.seq)]});  // after the flush above
            tokens.insert(tokens.end(), e.tokens.begin() + long(done), e.tokens.begin() + long(done + len));
            done += len;
            if (done == e.tokens.size() && e.logits) out_rows.push_back(int32_t(tokens.size() - 1));
        }
    flush(true);
}

void Session::decode_ubatch(const int32_t* tokens, const std::vector<SeqRun>& runs, bool all_logits,
                            const std::vector<int32_t>& out_rows) {
    const HParams& hp = model_.hparams();
    int n = 0;
    int32_t length = 0;  // the longest sequence once these tokens are in (dynamic NTK's length)
    for (const SeqRun& r : runs) {
        n += r.n;
        kv_->commit(r.seq, r.p0, r.n);
        length = std::max(length, r.p0 + r.n);
    }
    const bool several = n_seq() > 1;
    // One mask per attention kind present in the model, and the RoPE settings of each kind.
    int layer_of_kind[2] = {-1, -1};
    for (int il = 0; il < hp.n_layer; il++) layer_of_kind[hp.is_swa(il) ? 1 : 0] = il;
    int n_kv[2];
    std::vector<float> mask_data[2];
    std::vector<int32_t> kv_start[2];
    ResolvedRope rope[2];
    ggml::Tensor* own_factors[2];
    layer_ropes(length, rope, own_factors);
    for (int kind = 0; kind < 2; kind++) {
        const int il = layer_of_kind[kind] >= 0 ? layer_of_kind[kind] : layer_of_kind[1 - kind];
        n_kv[kind] = 0;
        for (const SeqRun& r : runs)
            n_kv[kind] = std::max(n_kv[kind], kv_->n_attend(kv_->ring_of(il, r.seq), r.p0 + r.n));
        mask_data[kind].resize(size_t(n_kv[kind]) * size_t(n));
        for (const SeqRun& r : runs) {
            const KvCache::Ring& ring = kv_->ring_of(il, r.seq);
            kv_->fill_mask(ring, r.p0, r.n, n_kv[kind], mask_data[kind].data() + size_t(r.first) * size_t(n_kv[kind]));
            if (several) kv_start[kind].insert(kv_start[kind].end(), size_t(r.n), ring.base);
        }
    }
    std::vector<char> shape;
    auto put = [&shape](const void* p, size_t bytes) {
        shape.insert(shape.end(), static_cast<const char*>(p), static_cast<const char*>(p) + bytes);
    };
    put(&n, sizeof n);
    put(&all_logits, sizeof all_logits);
    put(n_kv, sizeof n_kv);
    for (const ResolvedRope& r : rope) {
        put(&r.params, sizeof r.params);
        const size_t nf = r.freq_factors.size();
        put(&nf, sizeof nf);
    }
    bool single_tokens = true;  // decode steps: every run one token
    for (const SeqRun& r : runs) {  // where the tokens go, not their positions (those move each step)
        const int where[3] = {r.seq, r.first, r.n};
        put(where, sizeof where);
        single_tokens = single_tokens && r.n == 1;
    }
    const size_t n_rows = out_rows.size();
    put(&n_rows, sizeof n_rows);

    const bool reuse = single_tokens && step_ && step_->shape == shape;
    if (reuse) {
        move_cell_writes(step_->writes, runs);
    } else {
        // A new graph; the kept one goes (its nodes would keep placements in memory the scheduler may reuse).
        step_ = std::make_unique<StepGraph>();
        StepGraph& g = *step_;
        g.tok = g.ctx.new_tensor(ggml::Type::I32, {n});
        g.pos = g.ctx.new_tensor(ggml::Type::I32, {n});
        g.tok->name = "tokens";
        g.pos->name = "positions";
        for (int kind = 0; kind < 2; kind++) {
            g.mask[kind] = g.ctx.new_tensor(ggml::Type::F32, {n_kv[kind], n});
            g.mask[kind]->name = kind ? "mask_swa" : "mask";
            if (several) {
                g.kv_start[kind] = g.ctx.new_tensor(ggml::Type::I32, {n});
                g.kv_start[kind]->name = kind ? "kv_start_swa" : "kv_start";
            }
        }
        if (!out_rows.empty()) {
            g.out_rows = g.ctx.new_tensor(ggml::Type::I32, {int64_t(out_rows.size())});
            g.out_rows->name = "out_rows";
        }
        GraphInputs in{g.ctx, model_, *kv_, n, runs, all_logits, g.tok, g.pos, {g.mask[0], g.mask[1]},
                       {g.kv_start[0], g.kv_start[1]}, g.out_rows, {}, params_.attn_scores_bytes, params_.flash_attn};
        for (int kind = 0; kind < 2; kind++) {
            in.rope[kind].params = rope[kind].params;
            if (own_factors[kind]) {
                in.rope[kind].freq_factors = own_factors[kind];
            } else if (!rope[kind].freq_factors.empty()) {
                g.factors[kind] = g.ctx.new_tensor(ggml::Type::F32, {int64_t(rope[kind].freq_factors.size())});
                g.factors[kind]->name = "rope_factors";
                in.rope[kind].freq_factors = g.factors[kind];
            }
        }
        g.out = model_.arch().build(in);
        g.inputs = ggml::alloc_ctx_tensors(model_.cpu(), g.ctx);
        g.inputs->holds_inputs = true;
        g.graph = ggml::build_graph({g.out});
        g.writes = std::move(in.cell_writes);
        g.shape = std::move(shape);
    }
    StepGraph& g = *step_;
    ggml::tensor_set(g.tok, tokens, size_t(n) * 4);
    std::vector<int32_t> positions;
    for (const SeqRun& r : runs)
        for (int t = 0; t < r.n; t++) positions.push_back(r.p0 + t);
    ggml::tensor_set(g.pos, positions.data(), size_t(n) * 4);
    for (int kind = 0; kind < 2; kind++) {
        ggml::tensor_set(g.mask[kind], mask_data[kind].data(), mask_data[kind].size() * 4);
        if (g.kv_start[kind]) ggml::tensor_set(g.kv_start[kind], kv_start[kind].data(), kv_start[kind].size() * 4);
        if (g.factors[kind])
            ggml::tensor_set(g.factors[kind], rope[kind].freq_factors.data(), rope[kind].freq_factors.size() * 4);
    }
    if (g.out_rows) ggml::tensor_set(g.out_rows, out_rows.data(), out_rows.size() * 4);
    if (reuse) sched_->compute_again(g.graph);
    else sched_->compute(g.graph);
    ggml::Tensor* out = g.out;
    n_out_ = int(out->ne[1]);
    logits_in_place_ = nullptr;
    if (!all_logits && out->buffer && out->buffer->is_host() && out->is_contiguous()) {
        logits_in_place_ = static_cast<const float*>(out->data);  // the scheduler's memory, kept until the next compute
    } else {
        logits_.resize(size_t(out->nelements()));
        ggml::tensor_get(out, logits_.data(), logits_.size() * 4);
    }
    for (const SeqRun& r : runs) n_past_[size_t(r.seq)] += r.n;
}

const float* Session::logits(int i) const {
    if (n_out_ == 0) throw std::logic_error("no logits: decode first");
    if (i < 0) i = n_out_ - 1;
    return (logits_in_place_ ? logits_in_place_ : logits_.data()) + size_t(i) * size_t(model_.hparams().n_vocab);
}

}  // namespace giraffe
