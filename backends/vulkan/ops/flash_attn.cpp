#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

// A workgroup per (query head, block of 16 tokens) (shaders/flash_attn.comp). Five descriptors do not fit
// in 128 bytes of push constants: q, k and v go whole, the mask as its offset and row stride (its rows are
// contiguous f32, at least n_kv long: the graph builder checks it), dst as its offset (it is contiguous).
void op_flash_attn(Recorder& r, const Tensor* dst) {
    const Tensor* q = dst->src[0];
    const Tensor* k = dst->src[1];
    const Tensor* v = dst->src[2];
    const Tensor* mask = dst->src[3];
    struct {
        TensorDesc q, k, v;
        uint32_t m_offset, m_nb1, d_offset;
        float scale;
        uint32_t flags;
    } p{r.desc(q), r.desc(k), r.desc(v), mask ? r.offset(mask) : 0u, mask ? uint32_t(mask->nb[1]) : 0u, r.offset(dst),
        dst->param<float>(0), uint32_t(k->type) | uint32_t(v->type) << 8 | (mask ? 1u << 16 : 0u)};
    constexpr int64_t kBlock = 16;  // BR in the shader
    r.dispatch("flash_attn", {q, k, v, mask}, dst, p, uint32_t(q->ne[2]), uint32_t((q->ne[1] + kBlock - 1) / kBlock));
}

}  // namespace ggml::vk
