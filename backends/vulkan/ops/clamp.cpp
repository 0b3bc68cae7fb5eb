#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

void op_clamp(Recorder& r, const Tensor* dst) {
    struct {
        TensorDesc a, d;
        float lo, hi;
    } p{r.desc(dst->src[0]), r.desc(dst), dst->param<float>(0), dst->param<float>(1)};
    r.dispatch_linear("clamp", {dst->src[0]}, dst, p, dst->nelements(), 256);
}

}  // namespace ggml::vk
