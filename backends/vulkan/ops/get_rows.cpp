// get_rows on Vulkan: dst[i3][i2][j] = a[i3][i2][idx[i3][i2][j]] as f32, for every weight type (shader
// get_rows_<type>). An `a` too large for one binding is split per batch (dims 3, then 2) and then into
// chunks of rows: each chunk's dispatch writes the output rows whose index falls in it. An output or index
// tensor too large for one binding is split into chunks of output rows.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {
namespace {

struct Push {
    TensorDesc a, idx, d;
    uint32_t first, total;
};

size_t binding_capacity(const Device& dev) {
    const size_t range = dev.max_binding_range() / 4 * 4;
    return range > dev.binding_alignment() ? range - dev.binding_alignment() : 0;
}

// The most items of dimension `dim` of t that fit one binding; at least 1 (or throws).
int64_t items_per_binding(const Device& dev, const Tensor* t, int dim) {
    const Tensor one = slice(t, dim, 0, 1);
    const size_t first = one.nbytes(), cap = binding_capacity(dev);
    if (first > cap)
        throw std::runtime_error("vulkan get_rows: one row of " + shape_str(t) + " is larger than a storage binding");
    const size_t step = t->nb[dim];
    if (step == 0) return t->ne[dim];
    return std::max<int64_t>(1, std::min<int64_t>(t->ne[dim], int64_t((cap - first) / step) + 1));
}

void dispatch(Recorder& r, const Tensor* a, const Tensor* idx, const Tensor* d, int64_t first, int64_t total) {
    const uint64_t rows = uint64_t(idx->ne[0]) * uint64_t(idx->ne[1]) * uint64_t(idx->ne[2]);
    if (rows == 0 || a->ne[0] == 0) return;
    const Push p{r.desc(a), r.desc(idx), r.desc(d), uint32_t(first), uint32_t(total)};
    r.dispatch_linear("get_rows_" + type_suffix(a->type), {a, idx}, d, p, rows);
}

// a [ne0, rows, a2, a3], idx [n, a2, a3], d [ne0, n, a2, a3] (slices of the node's tensors).
void run(Recorder& r, const Tensor* a, const Tensor* idx, const Tensor* d) {
    Device& dev = r.device();
    if (fits_binding(dev, a) && fits_binding(dev, idx) && fits_binding(dev, d)) {
        dispatch(r, a, idx, d, 0, a->ne[1]);
        return;
    }
    // One batch at a time: a's and d's dim 3 / 2 are idx's dim 2 / 1.
    for (int dim = 3; dim >= 2; dim--) {
        if (a->ne[dim] <= 1) continue;
        for (int64_t i = 0; i < a->ne[dim]; i++) {
            const Tensor as = slice(a, dim, i, 1), is = slice(idx, dim - 1, i, 1), ds = slice(d, dim, i, 1);
            run(r, &as, &is, &ds);
        }
        return;
    }
    // One matrix: chunks of a's rows by chunks of the output rows.
    const int64_t R = a->ne[1], n = idx->ne[0];
    const int64_t rows = items_per_binding(dev, a, 1);
    const int64_t outs = std::min(items_per_binding(dev, idx, 0), items_per_binding(dev, d, 1));
    for (int64_t r0 = 0; r0 < R; r0 += rows) {
        const Tensor ac = slice(a, 1, r0, std::min(rows, R - r0));
        for (int64_t j0 = 0; j0 < n; j0 += outs) {
            const int64_t jc = std::min(outs, n - j0);
            const Tensor ic = slice(idx, 0, j0, jc), dc = slice(d, 1, j0, jc);
            if (!fits_binding(dev, &ac) || !fits_binding(dev, &ic) || !fits_binding(dev, &dc))
                throw std::runtime_error("vulkan get_rows: cannot split " + shape_str(a) + " into bindings");
            dispatch(r, &ac, &ic, &dc, r0, R);
        }
    }
}

}  // namespace

void op_get_rows(Recorder& r, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    const Tensor* idx = dst->src[1];
    if (!weight_type_supported(a->type) || idx->type != Type::I32 || dst->type != Type::F32)
        throw std::logic_error("vulkan get_rows: unsupported types (a " + shape_str(a) + ", idx " + shape_str(idx) +
                               ")");
    const auto& tr = type_traits(a->type);
    if (tr.quantized && (a->nb[0] != tr.block_bytes || a->ne[0] % tr.block_size))
        throw std::logic_error("vulkan get_rows: a quantized a needs contiguous rows of whole blocks");
    run(r, a, idx, dst);
}

}  // namespace ggml::vk
