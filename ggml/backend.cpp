#include "ggml/backend.h"

#include <stdexcept>
#include <vector>

namespace ggml {

void place_tensor(Tensor* t, Buffer* buf, size_t offset) {
    if (offset + t->nbytes() > buf->size())
        throw std::logic_error("place_tensor: " + t->name + " " + shape_str(t) + " does not fit its buffer");
    t->buffer = buf;
    t->data = static_cast<char*>(buf->base()) + offset;
}

void place_view(Tensor* t) {
    Tensor* s = t->view_src;
    if (!s->data) throw std::logic_error("place_view: the source of view " + t->name + " has no data");
    t->buffer = s->buffer;
    t->data = static_cast<char*>(s->data) + t->view_offset;
}

void tensor_set(Tensor* t, const void* src, size_t n, size_t offset) {
    if (!t->buffer || offset + n > t->nbytes()) throw std::logic_error("tensor_set: out of range or unallocated");
    t->buffer->upload(t, src, offset, n);
}

void tensor_get(const Tensor* t, void* dst, size_t n, size_t offset) {
    if (!t->buffer || offset + n > t->nbytes()) throw std::logic_error("tensor_get: out of range or unallocated");
    t->buffer->download(t, dst, offset, n);
}

void tensor_copy(const Tensor* src, Tensor* dst) {
    const size_t n = src->nbytes();
    if (n != dst->nbytes() || !src->buffer || !dst->buffer) throw std::logic_error("tensor_copy: sizes differ or unallocated");
    if (src->buffer->is_host()) {
        dst->buffer->upload(dst, src->data, 0, n);
    } else if (dst->buffer->is_host()) {
        src->buffer->download(src, dst->data, 0, n);
    } else {
        std::vector<char> staging(n);
        src->buffer->download(src, staging.data(), 0, n);
        dst->buffer->upload(dst, staging.data(), 0, n);
    }
}

void tensor_set_f32(Tensor* t, const float* src) {
    if (!t->is_contiguous()) throw std::logic_error("tensor_set_f32: tensor is not contiguous");
    const TypeTraits& tt = type_traits(t->type);
    if (!tt.from_float) throw std::logic_error(std::string("tensor_set_f32: no conversion to ") + tt.name);
    std::vector<char> bytes(t->nbytes());
    tt.from_float(src, bytes.data(), t->nelements());
    tensor_set(t, bytes.data(), bytes.size());
}

void tensor_get_f32(const Tensor* t, float* dst) {
    if (!t->is_contiguous()) throw std::logic_error("tensor_get_f32: tensor is not contiguous");
    const TypeTraits& tt = type_traits(t->type);
    if (!tt.to_float) throw std::logic_error(std::string("tensor_get_f32: no conversion from ") + tt.name);
    std::vector<char> bytes(t->nbytes());
    tensor_get(t, bytes.data(), bytes.size());
    tt.to_float(bytes.data(), dst, t->nelements());
}

}  // namespace ggml
