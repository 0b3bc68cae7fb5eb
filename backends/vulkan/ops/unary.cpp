#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

void op_unary(Recorder& r, const Tensor* dst) {
    // The shader's op numbers are UnaryOp's values (Silu = 0 ... Exp = 6).
    struct {
        TensorDesc a, d;
        uint32_t op;
    } p{r.desc(dst->src[0]), r.desc(dst), uint32_t(dst->params[0])};
    r.dispatch_linear("unary", {dst->src[0]}, dst, p, dst->nelements(), 256);
}

}  // namespace ggml::vk
