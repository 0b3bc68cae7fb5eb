// An independent double-precision reference for every op, written from the op equations. It reads inputs
// through their byte strides (so views, permutations and transposes are honoured exactly as laid out in
// memory) and never calls the library's compute code. The library is used only for its plain data types
// (Type, UnaryOp, GluOp, RopeParams); f16/bf16 decoding and rounding are implemented here too.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ggml/ops.h"
#include "ggml/type.h"

namespace ref {

// ---- element types ----
size_t type_size(ggml::Type t);                       // bytes per element of F32/F16/BF16/I32
double f16_bits_to_double(uint16_t h);                 // IEEE binary16 decode
double bf16_bits_to_double(uint16_t h);                // bfloat16 decode
double round_to_type(ggml::Type t, double x);          // round-to-nearest-even to t's precision (and range)
double decode(ggml::Type t, const uint8_t* p);         // one element at p
void encode(ggml::Type t, double x, uint8_t* p);       // x is rounded to t first

// ---- tensors: a typed, strided window onto bytes ----
struct Tensor {
    ggml::Type type = ggml::Type::F32;
    int64_t ne[4] = {1, 1, 1, 1};
    size_t nb[4] = {0, 0, 0, 0};
    const uint8_t* data = nullptr;  // element (0, 0, 0, 0)

    int64_t nelements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    double at(int64_t i0, int64_t i1 = 0, int64_t i2 = 0, int64_t i3 = 0) const {
        return decode(type, data + i0 * nb[0] + i1 * nb[1] + i2 * nb[2] + i3 * nb[3]);
    }
};

// A contiguous tensor over data.
Tensor leaf(ggml::Type type, const int64_t ne[4], const uint8_t* data);
// Layout, by the same rules as the library's layout ops (written independently).
Tensor view(const Tensor& a, const int64_t ne[4], size_t nb1, size_t nb2, size_t nb3, size_t offset);
Tensor permute(const Tensor& a, int ax0, int ax1, int ax2, int ax3);  // source dim i -> result dim ax_i
Tensor transpose(const Tensor& a);
Tensor reshape(const Tensor& a, const int64_t ne[4]);  // a must be contiguous
bool is_contiguous(const Tensor& a);

// ---- results: contiguous doubles tagged with the type the op produces ----
struct Result {
    ggml::Type type = ggml::Type::F32;
    int64_t ne[4] = {1, 1, 1, 1};
    std::vector<double> v;

    Result() = default;
    Result(ggml::Type t, const int64_t n[4]);
    int64_t nelements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    double& at(int64_t i0, int64_t i1 = 0, int64_t i2 = 0, int64_t i3 = 0) {
        return v[size_t(((i3 * ne[2] + i2) * ne[1] + i1) * ne[0] + i0)];
    }
};

// ---- ops ----
// dst_view: where a is written (a view of dst_leaf, a contiguous leaf); returns dst_leaf's contents after.
Result cpy(const Tensor& a, const Tensor& dst_view, const Tensor& dst_leaf);
Result cast(const Tensor& a, ggml::Type type);  // also cont (same type)
Result concat(const Tensor& a, const Tensor& b, int dim);
Result get_rows(const Tensor& a, const Tensor& idx);

enum class BinaryOp { Add, Sub, Mul, Div };
Result binary(BinaryOp op, const Tensor& a, const Tensor& b);
Result scale(const Tensor& a, double s, double bias);
Result sqr(const Tensor& a);
Result sqrt(const Tensor& a);
Result clamp(const Tensor& a, double lo, double hi);
double unary_fn(ggml::UnaryOp op, double x);
Result unary(const Tensor& a, ggml::UnaryOp op);
Result glu(const Tensor& gate, const Tensor& up, ggml::GluOp op);

Result rms_norm(const Tensor& a, double eps);
Result norm(const Tensor& a, double eps);
double alibi_slope(int64_t h, int64_t n_head, double max_bias);
Result soft_max(const Tensor& a, const Tensor* mask, double scale, double max_bias);
Result sum_rows(const Tensor& a);
Result mean(const Tensor& a);
Result argmax(const Tensor& a);

// The rotation angle of pair i at position pos, and the magnitude factor, per the rope equations.
double rope_theta(int64_t i, double pos, const ggml::RopeParams& p, double freq_factor, double* mscale);
Result rope(const Tensor& a, const Tensor& pos, const Tensor* freq_factors, const ggml::RopeParams& p);

Result mul_mat(const Tensor& a, const Tensor& b);

// Attention written out: scores[j] = scale * q[h][t].k[kvh][j] + mask[t][j], their softmax, then the
// weighted sum of values -> [hd_v, n_head, n, 1]. q [hd_k, n, n_head], k [hd_k, n_kv, n_kv_head], v [hd_v,
// n_kv, n_kv_head], mask [>= n_kv, >= n] or null; kvh = h / (n_head / n_kv_head). A fully masked token: zeros.
// kv_start (I32 [n]) given: token t sees cells kv_start[t] .. kv_start[t] + mask->ne[0] - 1, its mask row
// counting from kv_start[t].
Result flash_attn(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* mask, double scale,
                  const Tensor* kv_start = nullptr);

}  // namespace ref
