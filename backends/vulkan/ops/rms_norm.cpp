#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

// One workgroup (256 invocations, see shaders/rms_norm.comp) per row.
void op_rms_norm(Recorder& r, const Tensor* dst) {
    struct {
        TensorDesc a, d;
        float eps;
    } p{r.desc(dst->src[0]), r.desc(dst), dst->param<float>(0)};
    r.dispatch_linear("rms_norm", {dst->src[0]}, dst, p, dst->nrows());
}

}  // namespace ggml::vk
