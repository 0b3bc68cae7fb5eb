// cpy, cont and cast: one shader copies src[0] into dst in logical element order, converting the type.
// For cpy, dst is the node itself (a view of src[1]), so only src[0] is bound.
#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

void op_cpy(Recorder& r, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    struct {
        TensorDesc s, d;
        uint32_t stype, dtype;
    } p{r.desc(a), r.desc(dst), uint32_t(a->type), uint32_t(dst->type)};
    r.dispatch_linear("cpy", {a}, dst, p, dst->nelements(), 256);
}

}  // namespace ggml::vk
