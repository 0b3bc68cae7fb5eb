// Graph-building op functions. Each returns a new node (or a view) and computes nothing: a backend
// evaluates the graph later. Shapes follow ggml's conventions: ne[0] is the row (innermost) dimension.
#pragma once
#include "ggml/tensor.h"

namespace ggml {

// ---- layout: results share their source's bytes ----
Tensor* view_1d(Context& c, Tensor* a, int64_t ne0, size_t offset);
Tensor* view_2d(Context& c, Tensor* a, int64_t ne0, int64_t ne1, size_t nb1, size_t offset);
Tensor* view_3d(Context& c, Tensor* a, int64_t ne0, int64_t ne1, int64_t ne2, size_t nb1, size_t nb2, size_t offset);
Tensor* view_4d(Context& c, Tensor* a, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3, size_t nb1, size_t nb2,
                size_t nb3, size_t offset);
Tensor* reshape(Context& c, Tensor* a, std::initializer_list<int64_t> ne);  // a must be contiguous
// Result dimension axis[i] is source dimension i (ggml's convention).
Tensor* permute(Context& c, Tensor* a, int axis0, int axis1, int axis2, int axis3);
Tensor* transpose(Context& c, Tensor* a);  // swaps dims 0 and 1

// ---- copies ----
Tensor* cpy(Context& c, Tensor* a, Tensor* dst);  // writes a into dst (same element count, any F32/F16/BF16
                                                  // pair, or into a block type's whole-block rows of the
                                                  // same shape); returns a view of dst to depend on
Tensor* cont(Context& c, Tensor* a);              // contiguous copy of a (same type)
Tensor* cast(Context& c, Tensor* a, Type type);   // contiguous copy converted to type (float, or a block
                                                  // type whose blocks fill the rows)
Tensor* concat(Context& c, Tensor* a, Tensor* b, int dim);
// Rows of a (any type) picked by the I32 indices in idx [n, ne2', ne3'] -> F32 [a.ne0, n, ...].
Tensor* get_rows(Context& c, Tensor* a, Tensor* idx);

// ---- elementwise; b broadcasts over a when can_repeat(b, a) ----
Tensor* add(Context& c, Tensor* a, Tensor* b);
Tensor* sub(Context& c, Tensor* a, Tensor* b);
Tensor* mul(Context& c, Tensor* a, Tensor* b);
Tensor* div(Context& c, Tensor* a, Tensor* b);
Tensor* scale(Context& c, Tensor* a, float s, float bias = 0.0f);  // a*s + bias
Tensor* sqr(Context& c, Tensor* a);
Tensor* sqrt(Context& c, Tensor* a);
Tensor* clamp(Context& c, Tensor* a, float lo, float hi);
Tensor* unary(Context& c, Tensor* a, UnaryOp op);
Tensor* silu(Context& c, Tensor* a);
Tensor* gelu(Context& c, Tensor* a);      // tanh approximation
Tensor* gelu_erf(Context& c, Tensor* a);  // exact
// Gated units: act(gate) * up, both the same shape.
Tensor* glu(Context& c, Tensor* gate, Tensor* up, GluOp op);
Tensor* swiglu(Context& c, Tensor* gate, Tensor* up);
Tensor* geglu(Context& c, Tensor* gate, Tensor* up);

// ---- row-wise over dimension 0 ----
Tensor* rms_norm(Context& c, Tensor* a, float eps);
Tensor* norm(Context& c, Tensor* a, float eps);  // (x - mean) / sqrt(var + eps)
// softmax(a*scale + slope*mask) per row. mask (F32 or F16, may be null) is [>= a.ne0, m1, b2, b3] with
// a.ne2 % b2 == 0, a.ne3 % b3 == 0, and m1 >= a.ne1 or a.ne1 % m1 == 0: row i1 of a takes mask row i1 % m1
// (grouped-query attention stacks a group's heads as repeats of the tokens' rows). max_bias > 0 turns on ALiBi: head h = index in dim 2 gets slope
// m_h (Press et al.: 2^(-max_bias*(h+1)/H) for H heads a power of two, interleaved otherwise).
Tensor* soft_max(Context& c, Tensor* a, Tensor* mask = nullptr, float scale = 1.0f, float max_bias = 0.0f);
Tensor* sum_rows(Context& c, Tensor* a);  // [1, ne1, ne2, ne3]
Tensor* mean(Context& c, Tensor* a);      // [1, ne1, ne2, ne3]
Tensor* argmax(Context& c, Tensor* a);    // I32 [ne1] of a 2-D a

// ---- rotary position embedding ----
// a is [head_dim, n_head, n_tokens, 1]; pos is I32 [n_tokens]. freq_factors (F32 [n_dims/2] or null)
// divides each pair's frequency. See LONG_CONTEXT.md for the YaRN terms.
struct RopeParams {
    int n_dims = 0;  // rotated dims (<= head_dim); the rest pass through
    RopeMode mode = RopeMode::Normal;
    int n_ctx_orig = 0;      // training context, for the YaRN ramp
    float freq_base = 10000.0f;
    float freq_scale = 1.0f;  // 1/s for linear interpolation
    float ext_factor = 0.0f;  // YaRN extrapolation mix (0: off, 1: YaRN)
    float attn_factor = 1.0f; // multiplies cos and sin
    float beta_fast = 32.0f;
    float beta_slow = 1.0f;
};
Tensor* rope(Context& c, Tensor* a, Tensor* pos, Tensor* freq_factors, const RopeParams& p);
// The magnitude the rope op multiplies cos and sin by: attn_factor, times YaRN's 1 + 0.1 ln(1 / freq_scale)
// when ext_factor != 0.
float rope_mscale(const RopeParams& p);
RopeParams rope_params(const Tensor* node);

// ---- matrix product ----
// a [K, M, a2, a3] (F32/F16/BF16/quantized) times b [K, N, b2, b3] (F32) -> F32 [M, N, b2, b3]:
// dst[n][m] = sum_k a[m][k] * b[n][k]. b2 % a2 == 0 and b3 % a3 == 0 (a broadcasts: grouped-query
// attention shares one KV head among b2/a2 query heads).
Tensor* mul_mat(Context& c, Tensor* a, Tensor* b);

// ---- fused attention ----
// softmax(scale * q.k + mask) times v, per query head and token, without materialising the scores:
//   q    F32 [hd_k, n, n_head, 1], any strides (e.g. a permuted view of [hd_k, n_head, n]);
//   k    F32/F16/BF16 [hd_k, n_kv, n_kv_head, 1], any strides (a view of the KV cache), or a block type
//        (Q8_0, Q4_0, ...) whose rows are whole blocks, read in place;
//   v    the same for [hd_v, n_kv, n_kv_head, 1] (float types also transposed: nb[0] large, nb[1] the
//        element size);
//   mask F32 [>= n_kv, >= n, 1, 1] with contiguous rows, or null: additive (0 or -inf); token t uses row t.
// n_head % n_kv_head == 0: query head h reads KV head h / (n_head / n_kv_head) (grouped-query attention).
// Result: F32 contiguous [hd_v, n_head, n, 1], out[t][h] = sum_j softmax_j(scale*q[h][t].k[kvh][j] +
// mask[t][j]) v[kvh][j]. A token whose mask row is -inf over all n_kv cells gets zeros (not NaN).
// kv_start I32 [n], or null: several sequences in one cache. Token t then sees the cells kv_start[t] ..
// kv_start[t] + mask->ne[0] - 1 of k and v (its sequence's), its mask row counting from kv_start[t], so
// n_kv above means mask->ne[0] (a mask is required, and every span must lie within k's cells).
// params: 0 = scale (float).
Tensor* flash_attn(Context& c, Tensor* q, Tensor* k, Tensor* v, Tensor* mask, float scale, Tensor* kv_start = nullptr);

}  // namespace ggml
