#include "hparams.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "ggml/gguf.h"

namespace giraffe {

static const char* const kScalingNames[] = {"none", "linear", "ntk", "dynamic", "yarn", "llama3", "longrope"};

const char* rope_scaling_name(RopeScalingType t) { return kScalingNames[int(t)]; }

bool rope_scaling_from_name(const std::string& s, RopeScalingType* out) {
    for (int i = 0; i < 7; i++)
        if (s == kScalingNames[i]) {
            *out = RopeScalingType(i);
            return true;
        }
    if (s == "su") {  // Phi-3's older name for LongRoPE
        *out = RopeScalingType::LongRope;
        return true;
    }
    return false;
}

void read_common_hparams(const ggml::GgufFile& f, HParams& hp) {
    const std::string a = hp.arch + ".";
    auto fail = [&](const std::string& why) { throw std::runtime_error(f.path() + ": " + why); };
    hp.n_ctx_train = int32_t(f.get_u32(a + "context_length"));
    hp.n_embd = int32_t(f.get_u32(a + "embedding_length"));
    hp.n_layer = int32_t(f.get_u32(a + "block_count"));
    hp.n_ff = int32_t(f.get_u32(a + "feed_forward_length"));
    hp.n_head = int32_t(f.get_u32(a + "attention.head_count"));
    hp.n_head_kv = int32_t(f.get_u32(a + "attention.head_count_kv", uint32_t(hp.n_head)));
    hp.norm_eps = f.get_f32(a + "attention.layer_norm_rms_epsilon", 1e-5f);
    if (hp.n_embd <= 0 || hp.n_layer <= 0 || hp.n_head <= 0 || hp.n_head_kv <= 0 || hp.n_ff <= 0 ||
        hp.n_ctx_train <= 0)
        fail("hyperparameters must be positive");
    if (hp.n_head % hp.n_head_kv != 0) fail("head_count is not a multiple of head_count_kv");
    if (hp.n_layer > 4096 || hp.n_head > 4096) fail("absurd layer or head count");
    hp.head_dim_k = int32_t(f.get_u32(a + "attention.key_length", uint32_t(hp.n_embd / hp.n_head)));
    hp.head_dim_v = int32_t(f.get_u32(a + "attention.value_length", uint32_t(hp.head_dim_k)));
    hp.n_rot = int32_t(f.get_u32(a + "rope.dimension_count", uint32_t(hp.head_dim_k)));
    if (hp.n_rot <= 0 || hp.n_rot > hp.head_dim_k || hp.n_rot % 2) fail("rope.dimension_count is invalid");
    hp.rope_base = f.get_f32(a + "rope.freq_base", 10000.0f);
    hp.rope_base_swa = hp.rope_base;
    hp.sliding_window = int32_t(f.get_u32(a + "attention.sliding_window", 0));
    hp.layer_kind.assign(size_t(hp.n_layer), AttnKind::Full);

    RopeScaling& rs = hp.rope_scaling;
    // llama.cpp's Phi-3 files name no scaling type: their LongRoPE shows as the per-pair factor tensors.
    const bool longrope_tensors = f.find_tensor("rope_factors_long.weight") || f.find_tensor("rope_factors_short.weight");
    const std::string type = f.get_str(a + "rope.scaling.type", longrope_tensors ? "longrope" : "none");
    if (!rope_scaling_from_name(type, &rs.type)) fail("unknown rope.scaling.type '" + type + "'");
    rs.orig_ctx = int32_t(f.get_u32(a + "rope.scaling.original_context_length", uint32_t(hp.n_ctx_train)));
    if (rs.orig_ctx <= 0) fail("rope.scaling.original_context_length must be positive");
    // LongRoPE's s, when not given, is the context ratio (as transformers derives it for Phi-3).
    const bool longrope = rs.type == RopeScalingType::LongRope;
    rs.factor = f.get_f32(a + "rope.scaling.factor", longrope ? float(hp.n_ctx_train) / float(rs.orig_ctx) : 1.0f);
    if (rs.factor <= 0.0f || !std::isfinite(rs.factor)) fail("rope.scaling.factor must be positive");
    rs.attn_factor = f.get_f32(a + "rope.scaling.attn_factor", 0.0f);
    if (rs.attn_factor < 0.0f || !std::isfinite(rs.attn_factor)) fail("rope.scaling.attn_factor must be positive");
    rs.beta_fast = f.get_f32(a + "rope.scaling.yarn_beta_fast", 32.0f);
    rs.beta_slow = f.get_f32(a + "rope.scaling.yarn_beta_slow", 1.0f);
    rs.low_freq_factor = f.get_f32(a + "rope.scaling.low_freq_factor", 1.0f);
    rs.high_freq_factor = f.get_f32(a + "rope.scaling.high_freq_factor", 4.0f);
    if (!(rs.low_freq_factor > 0.0f && rs.high_freq_factor > rs.low_freq_factor) || !std::isfinite(rs.high_freq_factor))
        fail("rope.scaling.low_freq_factor and high_freq_factor must satisfy 0 < low < high");
    // A factor of 1 changes nothing, except LongRoPE's, whose per-pair factors still apply.
    if (rs.type == RopeScalingType::None || (rs.factor == 1.0f && !longrope)) rs.type = RopeScalingType::None;
}

}  // namespace giraffe
