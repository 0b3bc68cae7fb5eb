#include <stdexcept>
#include <string>

#include "backends/cuda/common.cuh"

namespace ggml::GIRAFFE_CUDA_NS {

TensorDesc desc(const Tensor* t) {
    TensorDesc d{};
    d.data = static_cast<char*>(t->data);
    for (int i = 0; i < 4; i++) {
        d.ne[i] = t->ne[i];
        d.nb[i] = int64_t(t->nb[i]);
    }
    d.type = uint32_t(t->type);
    return d;
}

void check_launch(const char* op) {
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) throw std::runtime_error(std::string("cuda ") + op + ": " + cudaGetErrorString(e));
}

}  // namespace ggml::GIRAFFE_CUDA_NS
