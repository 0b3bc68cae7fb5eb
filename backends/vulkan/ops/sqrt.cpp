#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

void op_sqrt(Recorder& r, const Tensor* dst) {
    struct {
        TensorDesc a, d;
    } p{r.desc(dst->src[0]), r.desc(dst)};
    r.dispatch_linear("sqrt", {dst->src[0]}, dst, p, dst->nelements(), 256);
}

}  // namespace ggml::vk
