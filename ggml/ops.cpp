#include "ggml/ops.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace ggml {
namespace {

[[noreturn]] void fail(const char* op, const std::string& why) {
    throw std::invalid_argument(std::string(op) + ": " + why);
}

// Throws when !ok. `why` is a message or a callable building one, so that graph building (every token)
// formats nothing unless a check fails.
template <class Why>
void expect(bool ok, const char* op, Why&& why) {
    if (ok) return;
    if constexpr (std::is_invocable_v<Why>) fail(op, why());
    else fail(op, why);
}

bool is_float_type(Type t) { return t == Type::F32 || t == Type::F16 || t == Type::BF16; }

// A new contiguous node of op with the given sources.
Tensor* node(Context& c, Op op, Type type, const int64_t ne[4], Tensor* s0, Tensor* s1 = nullptr,
             Tensor* s2 = nullptr) {
    Tensor* t = c.new_tensor(type, 4, ne);
    t->op = op;
    t->src[0] = s0;
    t->src[1] = s1;
    t->src[2] = s2;
    return t;
}

Tensor* like(Context& c, Op op, Tensor* a, Tensor* s1 = nullptr) { return node(c, op, a->type, a->ne, a, s1); }

// A layout node sharing a's bytes.
Tensor* view_of(Context& c, Op op, Tensor* a, const int64_t ne[4], const size_t nb[4], size_t offset) {
    Tensor* t = c.new_tensor(a->type, 4, ne);
    for (int i = 0; i < 4; i++) t->nb[i] = nb[i];
    t->op = op;
    t->src[0] = a;
    t->view_src = a->view_src ? a->view_src : a;
    t->view_offset = a->view_offset + offset;
    return t;
}

}  // namespace

// ---- layout ----

Tensor* view_4d(Context& c, Tensor* a, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3, size_t nb1, size_t nb2,
                size_t nb3, size_t offset) {
    const int64_t ne[4] = {ne0, ne1, ne2, ne3};
    const size_t nb[4] = {a->nb[0], nb1, nb2, nb3};
    Tensor* t = view_of(c, Op::View, a, ne, nb, offset);
    expect(offset + t->nbytes() <= a->nbytes(), "view",
           [&] { return std::string("view of " + shape_str(t) + " at offset " + std::to_string(offset) + " exceeds its source " + shape_str(a)); });
    return t;
}
Tensor* view_3d(Context& c, Tensor* a, int64_t ne0, int64_t ne1, int64_t ne2, size_t nb1, size_t nb2, size_t offset) {
    return view_4d(c, a, ne0, ne1, ne2, 1, nb1, nb2, nb2 * size_t(ne2), offset);
}
Tensor* view_2d(Context& c, Tensor* a, int64_t ne0, int64_t ne1, size_t nb1, size_t offset) {
    return view_4d(c, a, ne0, ne1, 1, 1, nb1, nb1 * size_t(ne1), nb1 * size_t(ne1), offset);
}
Tensor* view_1d(Context& c, Tensor* a, int64_t ne0, size_t offset) {
    const size_t nb1 = row_size(a->type, ne0);
    return view_4d(c, a, ne0, 1, 1, 1, nb1, nb1, nb1, offset);
}

Tensor* reshape(Context& c, Tensor* a, std::initializer_list<int64_t> dims) {
    expect(a->is_contiguous(), "reshape", [&] { return std::string("source " + shape_str(a) + " is not contiguous"); });
    expect(dims.size() >= 1 && dims.size() <= 4, "reshape", "1 to 4 dimensions");
    int64_t ne[4] = {1, 1, 1, 1};
    int i = 0;
    for (int64_t d : dims) ne[i++] = d;
    expect(ne[0] * ne[1] * ne[2] * ne[3] == a->nelements(), "reshape", [&] { return std::string("element count differs from " + shape_str(a)); });
    const TypeTraits& tt = type_traits(a->type);
    expect(ne[0] % tt.block_size == 0, "reshape", "row length not a multiple of the block size");
    size_t nb[4];
    nb[0] = tt.block_bytes;
    nb[1] = row_size(a->type, ne[0]);
    nb[2] = nb[1] * size_t(ne[1]);
    nb[3] = nb[2] * size_t(ne[2]);
    return view_of(c, Op::Reshape, a, ne, nb, 0);
}

Tensor* permute(Context& c, Tensor* a, int ax0, int ax1, int ax2, int ax3) {
    const int ax[4] = {ax0, ax1, ax2, ax3};
    bool used[4] = {};
    for (int i = 0; i < 4; i++) {
        expect(ax[i] >= 0 && ax[i] < 4 && !used[ax[i]], "permute", "axes must be a permutation of 0..3");
        used[ax[i]] = true;
    }
    int64_t ne[4];
    size_t nb[4];
    for (int i = 0; i < 4; i++) {
        ne[ax[i]] = a->ne[i];
        nb[ax[i]] = a->nb[i];
    }
    Tensor* t = view_of(c, Op::Permute, a, ne, nb, 0);
    for (int i = 0; i < 4; i++) t->params[i] = ax[i];
    return t;
}

Tensor* transpose(Context& c, Tensor* a) {
    Tensor* t = permute(c, a, 1, 0, 2, 3);
    t->op = Op::Transpose;
    return t;
}

// ---- copies ----

Tensor* cpy(Context& c, Tensor* a, Tensor* dst) {
    expect(a->nelements() == dst->nelements(), "cpy", [&] { return std::string(shape_str(a) + " and " + shape_str(dst) + " differ in size"); });
    expect(is_float_type(a->type) && (is_float_type(dst->type) || (is_block_rows(dst) && same_shape(a, dst))), "cpy",
           "copies f32, f16 and bf16, and into whole-block rows of a block type of the same shape");
    // The result is a view of dst: depending on it orders later readers of dst after the copy.
    Tensor* t = view_of(c, Op::Cpy, dst, dst->ne, dst->nb, 0);
    t->src[0] = a;
    t->src[1] = dst;
    return t;
}

Tensor* cast(Context& c, Tensor* a, Type type) {
    const TypeTraits& tt = type_traits(type);
    expect(is_float_type(a->type) && (is_float_type(type) || (tt.quantized && a->ne[0] % tt.block_size == 0)), "cast",
           "casts f32, f16 and bf16 to those or to a block type whose blocks fill the rows");
    return node(c, Op::Cont, type, a->ne, a);
}

Tensor* cont(Context& c, Tensor* a) { return cast(c, a, a->type); }

Tensor* concat(Context& c, Tensor* a, Tensor* b, int dim) {
    expect(dim >= 0 && dim < 4, "concat", "dim must be 0..3");
    expect(a->type == b->type && is_float_type(a->type), "concat", "operands must share a float type");
    int64_t ne[4];
    for (int i = 0; i < 4; i++) {
        expect(i == dim || a->ne[i] == b->ne[i], "concat", [&] { return std::string(shape_str(a) + " and " + shape_str(b) + " differ off dim"); });
        ne[i] = i == dim ? a->ne[i] + b->ne[i] : a->ne[i];
    }
    Tensor* t = node(c, Op::Concat, a->type, ne, a, b);
    t->params[0] = dim;
    return t;
}

Tensor* get_rows(Context& c, Tensor* a, Tensor* idx) {
    expect(idx->type == Type::I32, "get_rows", "indices must be i32");
    expect(idx->ne[1] == a->ne[2] && idx->ne[2] == a->ne[3] && idx->ne[3] == 1, "get_rows",
           [&] { return std::string("indices " + shape_str(idx) + " do not match " + shape_str(a)); });
    const int64_t ne[4] = {a->ne[0], idx->ne[0], idx->ne[1], idx->ne[2]};
    return node(c, Op::GetRows, Type::F32, ne, a, idx);
}

// ---- elementwise ----

namespace {
Tensor* binary(Context& c, Op op, Tensor* a, Tensor* b) {
    expect(a->type == Type::F32 && b->type == Type::F32, op_name(op), "operands must be f32");
    expect(can_repeat(b, a), op_name(op), [&] { return std::string(shape_str(b) + " does not broadcast to " + shape_str(a)); });
    return like(c, op, a, b);
}
Tensor* f32_unary_node(Context& c, Op op, Tensor* a) {
    expect(a->type == Type::F32, op_name(op), "operand must be f32");
    return like(c, op, a);
}
}  // namespace

Tensor* add(Context& c, Tensor* a, Tensor* b) { return binary(c, Op::Add, a, b); }
Tensor* sub(Context& c, Tensor* a, Tensor* b) { return binary(c, Op::Sub, a, b); }
Tensor* mul(Context& c, Tensor* a, Tensor* b) { return binary(c, Op::Mul, a, b); }
Tensor* div(Context& c, Tensor* a, Tensor* b) { return binary(c, Op::Div, a, b); }

Tensor* scale(Context& c, Tensor* a, float s, float bias) {
    Tensor* t = f32_unary_node(c, Op::Scale, a);
    t->set_param(0, s);
    t->set_param(1, bias);
    return t;
}
Tensor* sqr(Context& c, Tensor* a) { return f32_unary_node(c, Op::Sqr, a); }
Tensor* sqrt(Context& c, Tensor* a) { return f32_unary_node(c, Op::Sqrt, a); }
Tensor* clamp(Context& c, Tensor* a, float lo, float hi) {
    Tensor* t = f32_unary_node(c, Op::Clamp, a);
    t->set_param(0, lo);
    t->set_param(1, hi);
    return t;
}
Tensor* unary(Context& c, Tensor* a, UnaryOp op) {
    Tensor* t = f32_unary_node(c, Op::Unary, a);
    t->params[0] = int32_t(op);
    return t;
}
Tensor* silu(Context& c, Tensor* a) { return unary(c, a, UnaryOp::Silu); }
Tensor* gelu(Context& c, Tensor* a) { return unary(c, a, UnaryOp::GeluTanh); }
Tensor* gelu_erf(Context& c, Tensor* a) { return unary(c, a, UnaryOp::GeluErf); }

Tensor* glu(Context& c, Tensor* gate, Tensor* up, GluOp op) {
    expect(gate->type == Type::F32 && up->type == Type::F32, "glu", "operands must be f32");
    expect(same_shape(gate, up), "glu", [&] { return std::string(shape_str(gate) + " and " + shape_str(up) + " differ"); });
    Tensor* t = like(c, Op::Glu, gate, up);
    t->params[0] = int32_t(op);
    return t;
}
Tensor* swiglu(Context& c, Tensor* gate, Tensor* up) { return glu(c, gate, up, GluOp::SwiGlu); }
Tensor* geglu(Context& c, Tensor* gate, Tensor* up) { return glu(c, gate, up, GluOp::GeGluTanh); }

// ---- row-wise ----

Tensor* rms_norm(Context& c, Tensor* a, float eps) {
    Tensor* t = f32_unary_node(c, Op::RmsNorm, a);
    t->set_param(0, eps);
    return t;
}
Tensor* norm(Context& c, Tensor* a, float eps) {
    Tensor* t = f32_unary_node(c, Op::Norm, a);
    t->set_param(0, eps);
    return t;
}

Tensor* soft_max(Context& c, Tensor* a, Tensor* mask, float scale, float max_bias) {
    expect(a->type == Type::F32, "soft_max", "input must be f32");
    if (mask) {
        expect(mask->type == Type::F32 || mask->type == Type::F16, "soft_max", "mask must be f32 or f16");
        expect(mask->ne[0] >= a->ne[0] && (mask->ne[1] >= a->ne[1] || a->ne[1] % mask->ne[1] == 0) &&
                   a->ne[2] % mask->ne[2] == 0 &&
                   a->ne[3] % mask->ne[3] == 0,
               "soft_max", [&] { return std::string("mask " + shape_str(mask) + " does not cover " + shape_str(a)); });
    }
    Tensor* t = like(c, Op::SoftMax, a, mask);
    t->set_param(0, scale);
    t->set_param(1, max_bias);
    return t;
}

Tensor* sum_rows(Context& c, Tensor* a) {
    expect(a->type == Type::F32, "sum_rows", "input must be f32");
    const int64_t ne[4] = {1, a->ne[1], a->ne[2], a->ne[3]};
    return node(c, Op::SumRows, Type::F32, ne, a);
}
Tensor* mean(Context& c, Tensor* a) {
    Tensor* t = sum_rows(c, a);
    t->op = Op::Mean;
    return t;
}
Tensor* argmax(Context& c, Tensor* a) {
    expect(a->type == Type::F32 && a->ne[2] == 1 && a->ne[3] == 1, "argmax", "input must be 2-D f32");
    const int64_t ne[4] = {a->ne[1], 1, 1, 1};
    return node(c, Op::Argmax, Type::I32, ne, a);
}

// ---- rope ----

Tensor* rope(Context& c, Tensor* a, Tensor* pos, Tensor* freq_factors, const RopeParams& p) {
    expect(a->type == Type::F32, "rope", "input must be f32");
    expect(pos->type == Type::I32 && pos->nelements() == a->ne[2], "rope",
           [&] { return std::string("positions must be i32, one per token (" + std::to_string(a->ne[2]) + ")"); });
    expect(p.n_dims > 0 && p.n_dims % 2 == 0 && p.n_dims <= a->ne[0], "rope",
           [&] { return std::string("n_dims " + std::to_string(p.n_dims) + " must be even and at most the head size"); });
    expect(p.mode == RopeMode::Normal || p.mode == RopeMode::Neox, "rope", "unknown mode");
    if (freq_factors)
        expect(freq_factors->type == Type::F32 && freq_factors->ne[0] >= p.n_dims / 2, "rope",
               "frequency factors must be f32 with n_dims/2 entries");
    Tensor* t = node(c, Op::Rope, Type::F32, a->ne, a, pos, freq_factors);
    t->params[0] = p.n_dims;
    t->params[1] = int32_t(p.mode);
    t->params[2] = p.n_ctx_orig;
    t->set_param(3, p.freq_base);
    t->set_param(4, p.freq_scale);
    t->set_param(5, p.ext_factor);
    t->set_param(6, p.attn_factor);
    t->set_param(7, p.beta_fast);
    t->set_param(8, p.beta_slow);
    return t;
}

float rope_mscale(const RopeParams& p) {
    return p.ext_factor != 0.0f ? p.attn_factor * (1.0f + 0.1f * std::log(1.0f / p.freq_scale)) : p.attn_factor;
}

RopeParams rope_params(const Tensor* t) {
    RopeParams p;
    p.n_dims = t->params[0];
    p.mode = RopeMode(t->params[1]);
    p.n_ctx_orig = t->params[2];
    p.freq_base = t->param<float>(3);
    p.freq_scale = t->param<float>(4);
    p.ext_factor = t->param<float>(5);
    p.attn_factor = t->param<float>(6);
    p.beta_fast = t->param<float>(7);
    p.beta_slow = t->param<float>(8);
    return p;
}

// ---- matrix product ----

Tensor* mul_mat(Context& c, Tensor* a, Tensor* b) {
    expect(a->ne[0] == b->ne[0], "mul_mat", [&] { return std::string("inner sizes differ: " + shape_str(a) + " x " + shape_str(b)); });
    expect(b->ne[2] % a->ne[2] == 0 && b->ne[3] % a->ne[3] == 0, "mul_mat",
           [&] { return std::string(shape_str(a) + " does not broadcast over " + shape_str(b)); });
    expect(b->type == Type::F32, "mul_mat", "activations must be f32");
    expect(a->nb[0] == type_traits(a->type).block_bytes, "mul_mat", "weight rows must be contiguous");
    const int64_t ne[4] = {a->ne[1], b->ne[1], b->ne[2], b->ne[3]};
    return node(c, Op::MulMat, Type::F32, ne, a, b);
}

// ---- fused attention ----

Tensor* flash_attn(Context& c, Tensor* q, Tensor* k, Tensor* v, Tensor* mask, float scale, Tensor* kv_start) {
    expect(q->type == Type::F32, "flash_attn", "queries must be f32");
    expect((is_float_type(k->type) || is_block_rows(k)) && (is_float_type(v->type) || is_block_rows(v)), "flash_attn",
           "keys and values must be f32, f16, bf16 or whole-block rows of a block type");
    expect(q->ne[3] == 1 && k->ne[3] == 1 && v->ne[3] == 1, "flash_attn", "q, k and v must have ne[3] == 1");
    expect(k->ne[0] == q->ne[0], "flash_attn",
           [&] { return std::string("key size differs from the query's: " + shape_str(k) + " vs " + shape_str(q)); });
    expect(v->ne[1] == k->ne[1] && v->ne[2] == k->ne[2], "flash_attn",
           [&] { return std::string("values " + shape_str(v) + " do not match keys " + shape_str(k)); });
    expect(k->ne[1] > 0 && k->ne[2] > 0 && q->ne[2] % k->ne[2] == 0, "flash_attn",
           [&] { return std::string("query heads (" + std::to_string(q->ne[2]) + ") are not a multiple of KV heads (" + std::to_string(k->ne[2]) + ")"); });
    if (kv_start) {
        expect(mask != nullptr, "flash_attn", "kv_start needs a mask");
        expect(kv_start->type == Type::I32 && kv_start->ne[0] == q->ne[1] && kv_start->nrows() == 1 && kv_start->is_contiguous(),
               "flash_attn", [&] { return std::string("kv_start " + shape_str(kv_start) + " must be i32 [" + std::to_string(q->ne[1]) + "]"); });
        expect(mask->ne[0] <= k->ne[1], "flash_attn",
               [&] { return std::string("mask " + shape_str(mask) + " is wider than the " + std::to_string(k->ne[1]) + " cells"); });
    }
    if (mask) {
        expect(mask->type == Type::F32 && mask->nb[0] == sizeof(float), "flash_attn", "mask must be f32 with contiguous rows");
        expect((kv_start || mask->ne[0] >= k->ne[1]) && mask->ne[1] >= q->ne[1] && mask->ne[2] == 1 && mask->ne[3] == 1, "flash_attn",
               [&] { return std::string("mask " + shape_str(mask) + " does not cover " + std::to_string(k->ne[1]) + " cells x " + std::to_string(q->ne[1]) + " tokens"); });
    }
    const int64_t ne[4] = {v->ne[0], q->ne[2], q->ne[1], 1};
    Tensor* t = node(c, Op::FlashAttn, Type::F32, ne, q, k, v);
    t->src[3] = mask;
    t->src[4] = kv_start;
    t->set_param(0, scale);
    return t;
}

}  // namespace ggml
