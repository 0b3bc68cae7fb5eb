// A decoding session: owns the KV cache, the scheduler and its compute buffers. decode() splits a batch
// into micro-batches (chunked prefill), builds each one's graph with the model's architecture, computes
// it, and keeps the logits. A session holds up to n_seq sequences at once (a server's requests), each in
// cells of its own; decode_batch() runs tokens of several of them through one graph, so the weights are
// read once per step for all (continuous batching).
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "ggml/sched.h"
#include "graph_builder.h"
#include "kv_cache.h"
#include "model.h"
#include "rope_scaling.h"

namespace giraffe {

struct SessionParams {
    int n_ctx = 0;        // 0: the model's training context, capped at 4096
    int n_ubatch = 512;   // tokens per micro-batch
    int n_threads = 0;    // 0: all cores
    ggml::Type kv_type_k = ggml::Type::F16;  // KV cache element types (kv_cache_type)
    ggml::Type kv_type_v = ggml::Type::F16;
    std::optional<RopeScaling> rope_scaling;  // overrides the file's
    std::optional<float> rope_base;           // overrides the file's (full-attention layers)
    // Prefill attention runs a KV head's query heads in chunks whose scores (n_kv x rows x KV heads
    // floats) fit this many bytes, so they stay in cache (graph_builder.cpp, blocks::attention).
    size_t attn_scores_bytes = size_t(32) << 20;
    FlashAttn flash_attn = FlashAttn::Auto;  // fused attention (graph_builder.h)
    int n_seq = 1;  // sequences held at once, each with n_ctx positions of its own (more than one needs
                    // flash attention and runs on the CPU)
};

// Tokens of one sequence in a batch of several (Session::decode_batch), appended at that sequence's end.
struct SeqTokens {
    int seq = 0;
    std::vector<int32_t> tokens;
    bool logits = true;  // keep the logits of its last token
};

// The KV cache element type named f16, bf16, f32, q8_0, q4_0, q4_1, q5_0 or q5_1; anything else is a
// one-line error naming `setting` (the flag or field it came from).
ggml::Type kv_cache_type(const std::string& name, const std::string& setting);

class Session {
public:
    Session(const Model& model, const SessionParams& params);
    ~Session();

    // Progress of a long decode: tokens done so far out of total.
    using Progress = std::function<void(int done, int total)>;
    // Appends tokens at the current position. Keeps logits for the last token, or for every token when
    // all_logits. Throws when the context would overflow.
    void decode(const std::vector<int32_t>& tokens, bool all_logits = false, const Progress& progress = {});
    // Tokens of several sequences together: each micro-batch (at most n_ubatch tokens; an entry may span
    // several) is one graph whose products read the weights once for all its tokens, so a prompt's chunk
    // can go beside the next tokens of other sequences. Afterwards logits(i) is the last token's of the
    // i-th entry that asked for logits. Checks everything before computing: an unknown sequence, one
    // named twice, an empty entry, a token outside the vocabulary or a sequence that would overflow n_ctx
    // throws and changes nothing.
    void decode_batch(const std::vector<SeqTokens>& batch);
    // Logits of output row i (0 .. n_outputs-1), n_vocab floats; valid until the next decode.
    const float* logits(int i = -1) const;
    int n_outputs() const { return n_out_; }
    int n_seq() const { return int(n_past_.size()); }
    int32_t n_past(int seq = 0) const { return n_past_.at(size_t(seq)); }
    int n_ctx() const { return n_ctx_; }  // positions per sequence
    void clear();  // forget everything (empty KV cache)
    void clear_seq(int seq);  // forget one sequence (its cells become free)
    // Keeps positions [0, n) of a sequence and forgets the rest, so a request that shares a prefix with
    // what the sequence holds decodes only the rest. Returns the positions kept: n, or 0 (the sequence
    // cleared) when its sliding-window layers no longer hold the window that position n needs.
    int32_t keep_prefix(int seq, int32_t n);
    // Context shift with attention sinks (StreamingLLM; kv_shift.h): keeps the first `keep` positions,
    // forgets the next n_drop = (n_past - keep) / 2, and moves the rest back by n_drop (their keys rotated to
    // the new positions), so decoding goes on with n_past - n_drop positions used. The last logits stay.
    // Returns n_drop (0 when keep >= n_past - 1: nothing to drop). Throws when keep < 0.
    int shift(int keep, int seq = 0);
    const KvCache& kv() const { return *kv_; }
    const RopeScaling& rope_scaling() const { return rope_; }
    std::string rope_note() const { return rope_note_; }  // one line when scaling was chosen automatically

private:
    struct StepGraph;
    void check_seq(int seq) const;
    void check_tokens(const std::vector<int32_t>& tokens) const;
    // One micro-batch: runs[i] puts tokens [first, first + n) of `tokens` at sequence seq's end (p0).
    void decode_ubatch(const int32_t* tokens, const std::vector<SeqRun>& runs, bool all_logits, const std::vector<int32_t>& out_rows);
    // RoPE of full (0) and sliding (1) layers for a context of `length` positions; own[kind]: the model's
    // divisors that stand in for computed ones (LongRoPE's short or long factors by n_ctx, Llama 3's
    // rope_freqs), whose computed freq_factors are then dropped.
    void layer_ropes(int32_t length, ResolvedRope rope[2], ggml::Tensor* own[2]) const;

    const Model& model_;
    HParams hp_;  // the model's, with this session's RoPE base override
    SessionParams params_;
    int n_ctx_;
    RopeScaling rope_;
    std::string rope_note_;
    std::unique_ptr<KvCache> kv_;
    std::unique_ptr<ggml::Scheduler> sched_;
    std::unique_ptr<StepGraph> step_;  // the last micro-batch's graph (kept for the next token's)
    std::vector<int32_t> n_past_;  // per sequence
    std::vector<float> logits_;
    // The last token's logits where the graph left them (host memory), read in place instead of copied:
    // Gemma 3's 262144 floats cost ~0.1 ms per token to copy. Null: they are in logits_.
    const float* logits_in_place_ = nullptr;
    int n_out_ = 0;
};

}  // namespace giraffe
