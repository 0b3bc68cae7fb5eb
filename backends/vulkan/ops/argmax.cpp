#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

// One workgroup per row of the 2-D source (shaders/argmax.comp).
void op_argmax(Recorder& r, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    struct {
        TensorDesc a, d;
    } p{r.desc(a), r.desc(dst)};
    r.dispatch_linear("argmax", {a}, dst, p, uint64_t(a->ne[1]));
}

}  // namespace ggml::vk
