// mul_mat on Vulkan: dst[i3][i2][n][m] = sum_k a[i3/r3][i2/r2][m][k] * b[i3][i2][n][k] (a any weight type with
// contiguous rows, b f32 with any strides). Few columns go to mul_mat_vec_<type> (a workgroup per output
// row), more to the tiled mul_mat_<type>. Tensors too large for one binding (maxStorageBufferRange) are
// split: first per batch (dims 3, then 2), then a into chunks of rows and b / dst into chunks of columns,
// one dispatch per (row chunk, column chunk).
#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>

#include "backends/vulkan/ops/ops.h"

namespace ggml::vk {

bool weight_type_supported(Type t) {
    switch (t) {
    case Type::F32: case Type::F16: case Type::BF16:
    case Type::Q4_0: case Type::Q4_1: case Type::Q5_0: case Type::Q5_1: case Type::Q8_0:
    case Type::Q2_K: case Type::Q3_K: case Type::Q4_K: case Type::Q5_K: case Type::Q6_K:
        return true;
    default:
        return false;
    }
}

std::string type_suffix(Type t) {
    std::string s = type_name(t);  // "q4_K" -> "q4_k", as vulkan.cmake names the variants
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

namespace {

constexpr int64_t kVecMaxN = 8, kVecRows = 8;  // mul_mat_vec.comp's MAX_N and ROWS
constexpr int64_t kTileM = 64, kTileN = 64;  // mul_mat.comp's BM, BN

struct Push {
    TensorDesc a, b, d;
};

// Bytes a binding may give a tensor (fits_binding's bound, less the word rounding of the range).
size_t binding_capacity(const Device& dev) {
    const size_t range = dev.max_binding_range() / 4 * 4;
    return range > dev.binding_alignment() ? range - dev.binding_alignment() : 0;
}

// The most items of dimension `dim` of t (starting anywhere) that fit one binding; at least 1 (or throws).
int64_t items_per_binding(const Device& dev, const Tensor* t, int dim, const char* what) {
    const Tensor one = slice(t, dim, 0, 1);
    const size_t first = one.nbytes(), cap = binding_capacity(dev);
    if (first > cap)
        throw std::runtime_error(std::string("vulkan mul_mat: one ") + what + " of " + shape_str(t) +
                                 " is larger than a storage binding");
    const size_t step = t->nb[dim];
    if (step == 0) return t->ne[dim];
    return std::max<int64_t>(1, std::min<int64_t>(t->ne[dim], int64_t((cap - first) / step) + 1));
}

bool groups_fit(const Device& dev, const Tensor* b) {
    const uint64_t N = uint64_t(b->ne[1]), batches = uint64_t(b->ne[2]) * uint64_t(b->ne[3]);
    if (N <= kVecMaxN) return true;  // groups_1d spreads over x and y
    return batches <= dev.max_groups(2) && (N + kTileN - 1) / kTileN <= dev.max_groups(1);
}

void dispatch(Recorder& r, const Tensor* a, const Tensor* b, const Tensor* d) {
    const int64_t M = a->ne[1], N = b->ne[1], batches = b->ne[2] * b->ne[3];
    if (M == 0 || N == 0 || batches == 0) return;
    const Push p{r.desc(a), r.desc(b), r.desc(d)};
    const std::string sfx = type_suffix(a->type);
    if (N <= kVecMaxN) {
        r.dispatch_linear("mul_mat_vec_" + sfx, {a, b}, d, p, uint64_t((M + kVecRows - 1) / kVecRows) * uint64_t(batches));
    } else {
        const uint64_t gx = (uint64_t(M) + kTileM - 1) / kTileM;
        if (gx > r.device().max_groups(0)) throw std::runtime_error("vulkan mul_mat: too many rows for one dispatch");
        r.dispatch("mul_mat_" + sfx, {a, b}, d, p, uint32_t(gx), uint32_t((N + kTileN - 1) / kTileN),
                   uint32_t(batches));
    }
}

// a [K, M, a2, a3], b [K, N, b2, b3], d [M, N, b2, b3] (any of them a slice of the node's tensors).
void run(Recorder& r, const Tensor* a, const Tensor* b, const Tensor* d) {
    Device& dev = r.device();
    if (fits_binding(dev, a) && fits_binding(dev, b) && fits_binding(dev, d) && groups_fit(dev, b)) {
        dispatch(r, a, b, d);
        return;
    }
    // One batch at a time (a's batch i / ratio serves b's batch i).
    for (int dim = 3; dim >= 2; dim--) {
        if (b->ne[dim] <= 1) continue;
        const int64_t ratio = b->ne[dim] / a->ne[dim];
        for (int64_t i = 0; i < b->ne[dim]; i++) {
            const Tensor as = slice(a, dim, i / ratio, 1), bs = slice(b, dim, i, 1), ds = slice(d, dim, i, 1);
            run(r, &as, &bs, &ds);
        }
        return;
    }
    // One matrix: chunks of a's rows (dst's dim 0) by chunks of b's columns (dst's dim 1).
    const int64_t M = a->ne[1], N = b->ne[1];
    const int64_t rows = std::min<int64_t>(items_per_binding(dev, a, 1, "row"), int64_t(dev.max_groups(0)) * kTileM);
    for (int64_t m0 = 0; m0 < M; m0 += rows) {
        const int64_t mc = std::min(rows, M - m0);
        const Tensor ac = slice(a, 1, m0, mc), dm = slice(d, 0, m0, mc);
        const int64_t cols = std::min({items_per_binding(dev, b, 1, "column"), items_per_binding(dev, &dm, 1, "column"),
                                       int64_t(dev.max_groups(1)) * kTileN});
        for (int64_t n0 = 0; n0 < N; n0 += cols) {
            const int64_t nc = std::min(cols, N - n0);
            const Tensor bc = slice(b, 1, n0, nc), dc = slice(&dm, 1, n0, nc);
            if (!fits_binding(dev, &ac) || !fits_binding(dev, &bc) || !fits_binding(dev, &dc))
                throw std::runtime_error("vulkan mul_mat: cannot split " + shape_str(a) + " x " + shape_str(b) +
                                         " into bindings");
            dispatch(r, &ac, &bc, &dc);
        }
    }
}

}  // namespace

void op_mul_mat(Recorder& r, const Tensor* dst) {
    const Tensor* a = dst->src[0];
    const Tensor* b = dst->src[1];
    if (!weight_type_supported(a->type) || b->type != Type::F32 || dst->type != Type::F32)
        throw std::logic_error("vulkan mul_mat: unsupported types (a " + shape_str(a) + ", b " + shape_str(b) + ")");
    const auto& tr = type_traits(a->type);
    if (a->nb[0] != tr.block_bytes) throw std::logic_error("vulkan mul_mat: a's rows must be contiguous");
    if (a->ne[0] % tr.block_size) throw std::logic_error("vulkan mul_mat: ne[0] must be a multiple of the block size");
    run(r, a, b, dst);
}

}  // namespace ggml::vk
