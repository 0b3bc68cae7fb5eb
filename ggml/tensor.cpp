#include "ggml/tensor.h"

#include <sstream>
#include <stdexcept>

namespace ggml {

const char* op_name(Op op) {
    static const char* const names[] = {
        "none", "view", "reshape", "permute", "transpose", "cpy", "cont", "concat", "get_rows",
        "add", "sub", "mul", "div", "scale", "sqr", "sqrt", "clamp", "unary", "glu",
        "rms_norm", "norm", "soft_max", "rope", "sum_rows", "mean", "argmax", "mul_mat",
        "flash_attn",
    };
    static_assert(sizeof(names) / sizeof(names[0]) == size_t(Op::Count), "op names out of date");
    return size_t(op) < size_t(Op::Count) ? names[size_t(op)] : "?";
}

size_t Tensor::nbytes() const {
    if (nelements() == 0) return 0;
    const TypeTraits& tt = type_traits(type);
    size_t n = size_t(ne[0] / tt.block_size) * tt.block_bytes;
    for (int i = 1; i < kMaxDims; i++) n += size_t(ne[i] - 1) * nb[i];
    return n;
}

bool Tensor::is_contiguous() const {
    const TypeTraits& tt = type_traits(type);
    if (nb[0] != tt.block_bytes) return false;
    size_t expect = size_t(ne[0] / tt.block_size) * tt.block_bytes;
    for (int i = 1; i < kMaxDims; i++) {
        if (ne[i] != 1 && nb[i] != expect) return false;
        expect *= size_t(ne[i]);
    }
    return true;
}

int Tensor::n_dims() const {
    for (int i = kMaxDims - 1; i > 0; i--)
        if (ne[i] > 1) return i + 1;
    return 1;
}

bool same_shape(const Tensor* a, const Tensor* b) {
    for (int i = 0; i < kMaxDims; i++)
        if (a->ne[i] != b->ne[i]) return false;
    return true;
}

bool is_block_rows(const Tensor* t) {
    const TypeTraits& tt = type_traits(t->type);
    return tt.quantized && t->nb[0] == tt.block_bytes && t->ne[0] % tt.block_size == 0;
}

bool can_repeat(const Tensor* b, const Tensor* a) {
    for (int i = 0; i < kMaxDims; i++)
        if (b->ne[i] == 0 || a->ne[i] % b->ne[i] != 0) return false;
    return true;
}

std::string shape_str(const Tensor* t) {
    std::ostringstream s;
    s << "[" << t->ne[0] << ", " << t->ne[1] << ", " << t->ne[2] << ", " << t->ne[3] << "] " << type_name(t->type);
    return s.str();
}

Tensor* Context::new_tensor(Type type, int n_dims, const int64_t* ne) {
    const TypeTraits& tt = type_traits(type);
    if (!tt.name) throw std::invalid_argument("new_tensor: unknown type id " + std::to_string(uint32_t(type)));
    if (n_dims < 1 || n_dims > kMaxDims) throw std::invalid_argument("new_tensor: 1 to 4 dimensions");
    if (count_ % kBlock == 0) blocks_.push_back(std::make_unique<Tensor[]>(kBlock));
    Tensor& t = blocks_.back()[count_++ % kBlock];
    t.type = type;
    for (int i = 0; i < n_dims; i++) {
        if (ne[i] < 0) throw std::invalid_argument("new_tensor: negative dimension");
        t.ne[i] = ne[i];
    }
    if (t.ne[0] % tt.block_size != 0)
        throw std::invalid_argument(std::string("new_tensor: row length ") + std::to_string(t.ne[0]) +
                                    " is not a multiple of the " + tt.name + " block size");
    t.nb[0] = tt.block_bytes;
    t.nb[1] = size_t(t.ne[0] / tt.block_size) * tt.block_bytes;
    for (int i = 2; i < kMaxDims; i++) t.nb[i] = t.nb[i - 1] * size_t(t.ne[i - 1]);
    return &t;
}

Tensor* Context::new_tensor(Type type, std::initializer_list<int64_t> ne) {
    return new_tensor(type, int(ne.size()), ne.begin());
}

Tensor* Context::find(const std::string& name) {
    for (size_t i = 0; i < count_; i++)
        if (at(i)->name == name) return at(i);
    return nullptr;
}

}  // namespace ggml
