// The C API: thin wrappers that turn exceptions into status codes and a per-thread message.
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "ggml/gguf.h"
#include "giraffe.h"
#include "model.h"
#include "sampler.h"
#include "session.h"

struct giraffe_model {
    std::unique_ptr<giraffe::Model> m;
    giraffe::SessionParams session_defaults;  // from giraffe_model_params
};
struct giraffe_session {
    giraffe_model* model;
    std::unique_ptr<giraffe::Session> s;
};
struct giraffe_sampler {
    giraffe::Sampler s;
};

namespace {

thread_local std::string g_error;

template <class F>
giraffe_status guard(F&& f) {
    try {
        g_error.clear();
        f();
        return GIRAFFE_OK;
    } catch (const ggml::GgufError& e) {
        g_error = e.what();
        return std::strstr(e.what(), "cannot open") ? GIRAFFE_ERR_IO : GIRAFFE_ERR_FORMAT;
    } catch (const std::length_error& e) {
        g_error = e.what();
        return GIRAFFE_ERR_CONTEXT_FULL;
    } catch (const std::invalid_argument& e) {
        g_error = e.what();
        return GIRAFFE_ERR_INVALID_ARGUMENT;
    } catch (const std::out_of_range& e) {
        g_error = e.what();
        return GIRAFFE_ERR_INVALID_ARGUMENT;
    } catch (const std::bad_alloc&) {
        g_error = "out of memory";
        return GIRAFFE_ERR_OUT_OF_MEMORY;
    } catch (const std::runtime_error& e) {
        g_error = e.what();
        return GIRAFFE_ERR_FORMAT;
    } catch (const std::exception& e) {
        g_error = e.what();
        return GIRAFFE_ERR_INTERNAL;
    } catch (...) {
        g_error = "unknown error";
        return GIRAFFE_ERR_INTERNAL;
    }
}

void need(const void* p, const char* what) {
    if (!p) throw std::invalid_argument(std::string(what) + " is NULL");
}

}  // namespace

extern "C" {

const char* giraffe_last_error(void) { return g_error.c_str(); }

giraffe_model_params giraffe_model_default_params(void) {
    giraffe_model_params p;
    p.n_threads = 0;
    p.device = nullptr;
    p.n_gpu_layers = -1;
    p.n_ctx = 0;
    p.cache_type = nullptr;
    p.flash_attn = -1;
    p.cache_type_v = nullptr;
    return p;
}

giraffe_status giraffe_model_load(const char* path, const giraffe_model_params* params, giraffe_model** out) {
    return guard([&] {
        need(path, "path");
        need(out, "out");
        *out = nullptr;
        const giraffe_model_params p = params ? *params : giraffe_model_default_params();
        giraffe::Model::Options o;
        o.n_threads = p.n_threads;
        if (p.device) o.device = p.device;
        o.n_gpu_layers = p.n_gpu_layers;
        giraffe::SessionParams sp;
        if (p.n_ctx < 0) throw std::invalid_argument("n_ctx must not be negative");
        sp.n_ctx = p.n_ctx;
        sp.n_threads = p.n_threads;
        if (p.flash_attn < -1 || p.flash_attn > 1) throw std::invalid_argument("flash_attn must be -1, 0 or 1");
        sp.flash_attn = p.flash_attn < 0 ? giraffe::FlashAttn::Auto : p.flash_attn ? giraffe::FlashAttn::On : giraffe::FlashAttn::Off;
        if (p.cache_type) sp.kv_type_k = sp.kv_type_v = giraffe::kv_cache_type(p.cache_type, "cache_type");
        if (p.cache_type_v) sp.kv_type_v = giraffe::kv_cache_type(p.cache_type_v, "cache_type_v");
        auto m = giraffe::Model::load(path, o);
        *out = new giraffe_model{std::move(m), sp};
    });
}

void giraffe_model_free(giraffe_model* model) { delete model; }
int32_t giraffe_model_n_vocab(const giraffe_model* m) { return m ? m->m->hparams().n_vocab : 0; }
int32_t giraffe_model_n_ctx_train(const giraffe_model* m) { return m ? m->m->hparams().n_ctx_train : 0; }
int32_t giraffe_token_bos(const giraffe_model* m) { return m ? m->m->tokenizer().bos() : -1; }
int32_t giraffe_token_eos(const giraffe_model* m) { return m ? m->m->tokenizer().eos() : -1; }
int giraffe_token_is_eog(const giraffe_model* m, int32_t t) { return m && m->m->tokenizer().is_eog(t) ? 1 : 0; }

giraffe_status giraffe_tokenize(const giraffe_model* model, const char* text, size_t len, int add_bos,
                                int parse_special, int32_t* tokens, size_t capacity, size_t* n_tokens) {
    return guard([&] {
        need(model, "model");
        need(n_tokens, "n_tokens");
        if (len) need(text, "text");
        const auto ids = model->m->tokenizer().tokenize(std::string(text ? text : "", len), add_bos != 0, parse_special != 0);
        *n_tokens = ids.size();
        if (ids.size() > capacity) throw std::invalid_argument("token buffer too small: " + std::to_string(ids.size()) + " needed");
        if (!ids.empty()) std::memcpy(tokens, ids.data(), ids.size() * sizeof(int32_t));
    });
}

giraffe_status giraffe_token_to_piece(const giraffe_model* model, int32_t token, char* buf, size_t capacity, size_t* len) {
    return guard([&] {
        need(model, "model");
        need(len, "len");
        if (token < 0 || token >= int32_t(model->m->tokenizer().n_vocab()))
            throw std::out_of_range("token id " + std::to_string(token) + " is outside the vocabulary");
        const std::string p = model->m->tokenizer().token_to_piece(token);
        *len = p.size();
        if (p.size() + 1 > capacity) throw std::invalid_argument("piece buffer too small");
        std::memcpy(buf, p.c_str(), p.size() + 1);
    });
}

giraffe_status giraffe_session_create_seqs(giraffe_model* model, int32_t n_ctx, int32_t n_ubatch, int32_t n_seq,
                                           giraffe_session** out) {
    return guard([&] {
        need(model, "model");
        need(out, "out");
        *out = nullptr;
        giraffe::SessionParams p = model->session_defaults;
        if (n_ctx > 0) p.n_ctx = n_ctx;
        if (n_ubatch > 0) p.n_ubatch = n_ubatch;
        p.n_seq = n_seq;
        auto s = std::make_unique<giraffe::Session>(*model->m, p);
        *out = new giraffe_session{model, std::move(s)};
    });
}

giraffe_status giraffe_session_create(giraffe_model* model, int32_t n_ctx, int32_t n_ubatch, giraffe_session** out) {
    return giraffe_session_create_seqs(model, n_ctx, n_ubatch, 1, out);
}

void giraffe_session_free(giraffe_session* s) { delete s; }

giraffe_status giraffe_decode(giraffe_session* s, const int32_t* tokens, size_t n) {
    return guard([&] {
        need(s, "session");
        need(tokens, "tokens");
        s->s->decode(std::vector<int32_t>(tokens, tokens + n));
    });
}

giraffe_status giraffe_decode_batch(giraffe_session* s, const giraffe_seq_tokens* entries, size_t n_entries) {
    return guard([&] {
        need(s, "session");
        need(entries, "entries");
        std::vector<giraffe::SeqTokens> batch;
        for (size_t i = 0; i < n_entries; i++) {
            const giraffe_seq_tokens& e = entries[i];
            if (e.n_tokens) need(e.tokens, "entry tokens");
            batch.push_back({e.seq, std::vector<int32_t>(e.tokens, e.tokens + e.n_tokens), e.logits != 0});
        }
        s->s->decode_batch(batch);
    });
}

const float* giraffe_logits_ith(const giraffe_session* s, int32_t i) {
    if (!s || i < 0 || i >= s->s->n_outputs()) return nullptr;
    return s->s->logits(i);
}

const float* giraffe_logits(const giraffe_session* s) { return s ? giraffe_logits_ith(s, s->s->n_outputs() - 1) : nullptr; }

int32_t giraffe_session_n_past(const giraffe_session* s) { return s ? s->s->n_past() : 0; }
int32_t giraffe_session_seq_n_past(const giraffe_session* s, int32_t seq) {
    return s && seq >= 0 && seq < s->s->n_seq() ? s->s->n_past(seq) : 0;
}
giraffe_status giraffe_session_seq_clear(giraffe_session* s, int32_t seq) {
    return guard([&] {
        need(s, "session");
        s->s->clear_seq(seq);
    });
}
giraffe_status giraffe_session_seq_keep(giraffe_session* s, int32_t seq, int32_t n, int32_t* n_kept) {
    return guard([&] {
        need(s, "session");
        const int32_t kept = s->s->keep_prefix(seq, n);
        if (n_kept) *n_kept = kept;
    });
}
void giraffe_session_clear(giraffe_session* s) {
    if (s) s->s->clear();
}
giraffe_status giraffe_session_shift(giraffe_session* s, int32_t keep, int32_t* n_dropped) {
    return guard([&] {
        need(s, "session");
        const int dropped = s->s->shift(keep);
        if (n_dropped) *n_dropped = dropped;
    });
}

giraffe_status giraffe_sampler_create(float temp, int32_t top_k, float top_p, float min_p, float repeat_penalty,
                                      uint32_t seed, giraffe_sampler** out) {
    return guard([&] {
        need(out, "out");
        giraffe::SamplerParams p;
        p.temp = temp;
        p.top_k = top_k;
        p.top_p = top_p;
        p.min_p = min_p;
        p.repeat_penalty = repeat_penalty;
        p.seed = seed;
        *out = new giraffe_sampler{giraffe::Sampler(p)};
    });
}

void giraffe_sampler_free(giraffe_sampler* s) { delete s; }

giraffe_status giraffe_sample(giraffe_sampler* sampler, const giraffe_session* s, int32_t* token) {
    return giraffe_sample_ith(sampler, s, s ? s->s->n_outputs() - 1 : 0, token);
}

giraffe_status giraffe_sample_ith(giraffe_sampler* sampler, const giraffe_session* s, int32_t i, int32_t* token) {
    return guard([&] {
        need(sampler, "sampler");
        need(s, "session");
        need(token, "token");
        const float* l = giraffe_logits_ith(s, i);
        if (!l) throw std::invalid_argument("no logits " + std::to_string(i) + ": decode first");
        *token = sampler->s.sample(l, s->model->m->hparams().n_vocab);
        sampler->s.accept(*token);
    });
}

}  // extern "C"
