#include <cmath>

#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

// One workgroup per row (shaders/soft_max.comp). The ALiBi bases are computed here in float exactly as
// the CPU does; the shader raises them to each head's power.
void op_soft_max(Recorder& r, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    const Tensor* mask = dst->src[1];
    const float max_bias = dst->param<float>(1);
    struct {
        TensorDesc a, m, d;
        float scale, m0, m1;
        uint32_t n_pow2, mask;
    } p{r.desc(a), mask ? r.desc(mask) : TensorDesc{}, r.desc(dst), dst->param<float>(0), 1.0f, 1.0f, 0xFFFFFFFFu, 0};
    if (mask) p.mask = mask->type == Type::F16 ? 2 : 1;
    if (mask && max_bias > 0.0f) {
        const int64_t n = int64_t(1) << int64_t(std::floor(std::log2(double(a->ne[2]))));
        p.m0 = std::pow(2.0f, -max_bias / float(n));
        p.m1 = std::pow(2.0f, -max_bias / 2.0f / float(n));
        p.n_pow2 = uint32_t(n);
    }
    r.dispatch_linear("soft_max", {a, mask}, dst, p, a->nrows());
}

}  // namespace ggml::vk
