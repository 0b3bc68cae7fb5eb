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
    uint32_t gx, gy;
    r.groups_1d((uint64_t(dst->nelements()) + 255) / 256, &gx, &gy);
    r.dispatch("binary", {dst->src[0], dst->src[1]}, dst, p, gx, gy);
}

}  // namespace ggml::vk
