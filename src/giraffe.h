/* giraffe C API: load a GGUF model, run a session, tokenize, decode, sample, detokenize.
 * Opaque handles, plain C types; every call that can fail returns a giraffe_status and leaves a message
 * for giraffe_last_error() (per thread). Nothing throws across this API. */
#ifndef GIRAFFE_H
#define GIRAFFE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GIRAFFE_OK = 0,
    GIRAFFE_ERR_INVALID_ARGUMENT = 1, /* a null handle, a bad size, a token outside the vocabulary */
    GIRAFFE_ERR_IO = 2,               /* the file cannot be opened or read */
    GIRAFFE_ERR_FORMAT = 3,           /* not a valid GGUF, unknown architecture, missing key or tensor */
    GIRAFFE_ERR_CONTEXT_FULL = 4,     /* the tokens do not fit in the session's context */
    GIRAFFE_ERR_OUT_OF_MEMORY = 5,
    GIRAFFE_ERR_INTERNAL = 6
} giraffe_status;

typedef struct giraffe_model giraffe_model;
typedef struct giraffe_session giraffe_session;
typedef struct giraffe_sampler giraffe_sampler;

/* The message of the last failed call on this thread ("" if none). */
const char* giraffe_last_error(void);

/* How to load a model, and the defaults of the sessions made from it. Start from
 * giraffe_model_default_params() and change what you need: new fields are added at the end. */
typedef struct {
    int32_t n_threads;     /* CPU threads; 0: all cores */
    const char* device;    /* "cpu", "vulkan[:N]" or "cuda[:N]" (see `giraffe info`); NULL: "cpu" */
    int32_t n_gpu_layers;  /* with a GPU device: the last N layers and the output on it; -1: all */
    int32_t n_ctx;         /* sessions' context; 0: the model's training context, capped at 4096 */
    const char* cache_type;/* KV cache element type of the keys (and of the values unless cache_type_v):
                              "f16", "bf16", "f32", "q8_0", "q4_0", "q4_1", "q5_0" or "q5_1"; NULL: "f16" */
    int32_t flash_attn;    /* fused attention: 1 on, 0 off (needs float values), -1 auto (on) */
    const char* cache_type_v; /* the values' type; NULL: cache_type */
} giraffe_model_params;

giraffe_model_params giraffe_model_default_params(void);
/* params NULL: the defaults. */
giraffe_status giraffe_model_load(const char* path, const giraffe_model_params* params, giraffe_model** out);
void giraffe_model_free(giraffe_model* model);
int32_t giraffe_model_n_vocab(const giraffe_model* model);
int32_t giraffe_model_n_ctx_train(const giraffe_model* model);
int32_t giraffe_token_bos(const giraffe_model* model);
int32_t giraffe_token_eos(const giraffe_model* model);
/* Non-zero for tokens that end generation (end of sequence, end of turn). */
int giraffe_token_is_eog(const giraffe_model* model, int32_t token);

/* Tokenizes text (len bytes). Writes up to capacity ids and sets *n_tokens to the number produced; a
 * capacity too small returns GIRAFFE_ERR_INVALID_ARGUMENT with *n_tokens set to the number needed. */
giraffe_status giraffe_tokenize(const giraffe_model* model, const char* text, size_t len, int add_bos,
                                int parse_special, int32_t* tokens, size_t capacity, size_t* n_tokens);
/* The text of one token, NUL-terminated into buf; *len gets its length (without NUL). A token's bytes may
 * be part of a UTF-8 character: concatenate pieces before displaying them. */
giraffe_status giraffe_token_to_piece(const giraffe_model* model, int32_t token, char* buf, size_t capacity,
                                      size_t* len);

/* n_ctx: 0 for the model's params' n_ctx; n_ubatch: 0 for 512. */
giraffe_status giraffe_session_create(giraffe_model* model, int32_t n_ctx, int32_t n_ubatch, giraffe_session** out);
void giraffe_session_free(giraffe_session* session);
/* Appends tokens; afterwards giraffe_logits() gives the last token's logits. */
giraffe_status giraffe_decode(giraffe_session* session, const int32_t* tokens, size_t n_tokens);
/* n_vocab floats, valid until the next decode; NULL before the first decode. */
const float* giraffe_logits(const giraffe_session* session);
int32_t giraffe_session_n_past(const giraffe_session* session);
void giraffe_session_clear(giraffe_session* session);
/* Context shift with attention sinks (StreamingLLM), for a session whose context is full: keeps the first
 * `keep` tokens, forgets the oldest half of the rest and moves the newer ones back (their keys rotated to
 * their new positions), so that decoding can go on. *n_dropped (may be NULL) gets the number forgotten, 0
 * when there was nothing to forget. The last logits stay valid. keep < 0: GIRAFFE_ERR_INVALID_ARGUMENT. */
giraffe_status giraffe_session_shift(giraffe_session* session, int32_t keep, int32_t* n_dropped);

/* Several sequences in one session (a server's requests, parallel generations): each of the n_seq
 * sequences (ids 0 .. n_seq - 1) has n_ctx positions of cells of its own, and giraffe_decode_batch runs
 * tokens of several of them in one pass, so the weights are read once for all. Needs flash attention and
 * the CPU. giraffe_decode and giraffe_session_n_past act on sequence 0. */
giraffe_status giraffe_session_create_seqs(giraffe_model* model, int32_t n_ctx, int32_t n_ubatch, int32_t n_seq,
                                           giraffe_session** out);
typedef struct {
    int32_t seq;
    const int32_t* tokens; /* appended at the sequence's end */
    size_t n_tokens;
    int logits;            /* non-zero: keep the logits of its last token */
} giraffe_seq_tokens;
/* One pass over the entries (each sequence at most once). Afterwards giraffe_logits_ith(session, i) gives
 * the logits of the i-th entry that asked for them. Checks everything first: on an error nothing changed. */
giraffe_status giraffe_decode_batch(giraffe_session* session, const giraffe_seq_tokens* entries, size_t n_entries);
/* The i-th logits of the last decode (n_vocab floats); NULL when there is no such output. */
const float* giraffe_logits_ith(const giraffe_session* session, int32_t i);
int32_t giraffe_session_seq_n_past(const giraffe_session* session, int32_t seq);
/* Forgets a sequence: its cells are free for new tokens. */
giraffe_status giraffe_session_seq_clear(giraffe_session* session, int32_t seq);
/* Keeps positions [0, n) of a sequence (a new request that shares that prefix decodes only the rest) and
 * sets *n_kept: n, or 0 when its sliding-window layers no longer hold what position n needs. */
giraffe_status giraffe_session_seq_keep(giraffe_session* session, int32_t seq, int32_t n, int32_t* n_kept);

/* temp <= 0: greedy. top_k <= 0, top_p >= 1, min_p <= 0 turn those filters off. */
giraffe_status giraffe_sampler_create(float temp, int32_t top_k, float top_p, float min_p, float repeat_penalty,
                                      uint32_t seed, giraffe_sampler** out);
void giraffe_sampler_free(giraffe_sampler* sampler);
/* Samples from the session's current logits and remembers the token for the repetition penalty. */
giraffe_status giraffe_sample(giraffe_sampler* sampler, const giraffe_session* session, int32_t* token);
/* The same from the i-th logits (giraffe_logits_ith). */
giraffe_status giraffe_sample_ith(giraffe_sampler* sampler, const giraffe_session* session, int32_t i, int32_t* token);

#ifdef __cplusplus
}
#endif

#endif /* GIRAFFE_H */
