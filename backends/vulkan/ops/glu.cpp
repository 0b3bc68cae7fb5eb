#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

void op_glu(Recorder& r, const Tensor* dst) {
    // The shader's op numbers are GluOp's values (SwiGlu = 0, GeGluTanh = 1, GeGluErf = 2).
    struct {
        TensorDesc g, u, d;
        uint32_t op;
    } p{r.desc(dst->src[0]), r.desc(dst->src[1]), r.desc(dst), uint32_t(dst->params[0])};
    r.dispatch_linear("glu", {dst->src[0], dst->src[1]}, dst, p, dst->nelements(), 256);
}

}  // namespace ggml::vk
