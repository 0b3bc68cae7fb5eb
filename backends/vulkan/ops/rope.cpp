#include <algorithm>
#include <cmath>

#include "backends/vulkan/ops/ops.h"
#include "ggml/ops.h"

namespace ggml::vk {
namespace {

// Pair index at which a dimension completes n_rot rotations over the original context (YaRN); float,
// as backends/cpu/ops/rope.cpp computes it.
float corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base) {
    return float(n_dims) * std::log(float(n_ctx_orig) / (n_rot * 2.0f * float(M_PI))) / (2.0f * std::log(base));
}

}  // namespace

// One invocation per rotated pair or passed-through dimension (shaders/rope.comp). Per-call constants
// (the YaRN ramp ends and magnitude scale) are computed here; per-pair ones in the shader.
void op_rope(Recorder& r, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    const Tensor* pos = dst->src[1];
    const Tensor* ff = dst->src[2];
    const RopeParams rp = rope_params(dst);
    struct {
        TensorDesc a, d;
        uint32_t pos, ff, n_dims, neox;
        float log2_base, freq_scale, ext_factor, low, high, mscale;
    } p{r.desc(a), r.desc(dst), r.offset(pos), ff ? r.offset(ff) : 0xFFFFFFFFu, uint32_t(rp.n_dims),
        rp.mode == RopeMode::Neox ? 1u : 0u, float(std::log2(double(rp.freq_base))), rp.freq_scale, rp.ext_factor, 0.0f, 0.0f, rope_mscale(rp)};
    if (rp.ext_factor != 0.0f) {
        p.low = std::max(0.0f, std::floor(corr_dim(rp.n_dims, rp.n_ctx_orig, rp.beta_fast, rp.freq_base)));
        p.high = std::min(float(rp.n_dims - 1), std::ceil(corr_dim(rp.n_dims, rp.n_ctx_orig, rp.beta_slow, rp.freq_base)));
    }
    const uint64_t units = uint64_t(rp.n_dims / 2 + (a->ne[0] - rp.n_dims)) * uint64_t(a->ne[1] * a->ne[2] * a->ne[3]);
    r.dispatch_linear("rope", {a, pos, ff}, dst, p, units, 256);
}

}  // namespace ggml::vk
