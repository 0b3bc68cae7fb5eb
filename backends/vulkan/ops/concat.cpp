#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

void op_concat(Recorder& r, const Tensor* dst) {
    struct {
        TensorDesc a, b, d;
        uint32_t dim, type;
    } p{r.desc(dst->src[0]), r.desc(dst->src[1]), r.desc(dst), uint32_t(dst->params[0]), uint32_t(dst->type)};
    r.dispatch_linear("concat", {dst->src[0], dst->src[1]}, dst, p, dst->nelements(), 256);
}

}  // namespace ggml::vk
