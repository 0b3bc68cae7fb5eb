#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

// sum_rows and mean: one workgroup per row of src (shaders/sum_rows.comp).
void op_sum_rows(Recorder& r, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    struct {
        TensorDesc a, d;
        uint32_t mean;
    } p{r.desc(a), r.desc(dst), dst->op == Op::Mean ? 1u : 0u};
    r.dispatch_linear("sum_rows", {a}, dst, p, a->nrows());
}

}  // namespace ggml::vk
