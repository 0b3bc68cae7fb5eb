#include <stdexcept>

#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

void op_binary(Recorder& r, const Tensor* dst) {
    struct {
        TensorDesc a, b, d;
        uint32_t op;
    } p{r.desc(dst->src[0]), r.desc(dst->src[1]), r.desc(dst), 0};
    switch (dst->op) {
    case Op::Add: p.op = 0; break;
    case Op::Sub: p.op = 1; break;
    case Op::Mul: p.op = 2; break;
    case Op::Div: p.op = 3; break;
    default: throw std::logic_error("vulkan binary: not a binary op");
    }
    r.dispatch_linear("binary", {dst->src[0], dst->src[1]}, dst, p, dst->nelements(), 256);
}

}  // namespace ggml::vk
