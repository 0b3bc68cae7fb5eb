// Tensors and the context that owns them. A tensor is plain data: a type, up to four dimensions with byte
// strides, where its bytes live, and, for graph nodes, the op that computes it from its sources.
#pragma once
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "ggml/type.h"

namespace ggml {

constexpr int kMaxDims = 4;
constexpr int kMaxSrc = 5;
constexpr int kMaxParams = 16;

enum class Op : uint8_t {
    None,  // a leaf: weights or inputs
    // layout (no computation: the result shares its source's bytes)
    View, Reshape, Permute, Transpose,
    // copies
    Cpy, Cont, Concat, GetRows,
    // elementwise
    Add, Sub, Mul, Div, Scale, Sqr, Sqrt, Clamp, Unary, Glu,
    // row-wise
    RmsNorm, Norm, SoftMax, Rope, SumRows, Mean, Argmax,
    // matrix
    MulMat,
    // attention
    FlashAttn,
    Count
};
const char* op_name(Op op);

enum class UnaryOp : int32_t { Silu, GeluTanh, GeluErf, Relu, Tanh, Neg, Exp };
enum class GluOp : int32_t { SwiGlu, GeGluTanh, GeGluErf };
// Rope pairings: adjacent elements (x[2i], x[2i+1]) or the two halves (x[i], x[i + n_dims/2]).
enum class RopeMode : int32_t { Normal = 0, Neox = 2 };

struct Buffer;

struct Tensor {
    Type type = Type::F32;
    int64_t ne[kMaxDims] = {1, 1, 1, 1};  // elements per dimension, innermost first
    size_t nb[kMaxDims] = {0, 0, 0, 0};   // byte stride per dimension

    Op op = Op::None;
    int32_t params[kMaxParams] = {};  // op parameters (floats stored bit-for-bit)
    Tensor* src[kMaxSrc] = {};

    Tensor* view_src = nullptr;  // for layout ops: the tensor whose bytes this one reads
    size_t view_offset = 0;

    Buffer* buffer = nullptr;  // where data lives (null while unallocated)
    void* data = nullptr;

    std::string name;
    bool is_output = false;  // the caller reads it after compute: keep it alive to the end

    int64_t nelements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    int64_t nrows() const { return ne[1] * ne[2] * ne[3]; }
    size_t nbytes() const;  // span of bytes from data to the last element's end
    bool is_contiguous() const;
    bool is_view() const { return view_src != nullptr; }
    int n_dims() const;  // 1..4: index of the last dimension > 1, plus one

    template <class T>
    T param(int i) const {
        T v;
        std::memcpy(&v, &params[i], sizeof(T));
        return v;
    }
    template <class T>
    void set_param(int i, T v) {
        static_assert(sizeof(T) == 4, "params are 32-bit");
        std::memcpy(&params[i], &v, sizeof(T));
    }
};

bool same_shape(const Tensor* a, const Tensor* b);
// A block type (Q8_0, Q4_0, ...: a quantized KV cache) whose rows are whole blocks, elements contiguous.
bool is_block_rows(const Tensor* t);
// True when b's shape repeats evenly into a's (each ne of a is a multiple of b's).
bool can_repeat(const Tensor* b, const Tensor* a);
std::string shape_str(const Tensor* t);  // "[4096, 32, 1, 1] f16"

// Owns tensors: graph-building code asks the context for new tensors and never frees them one by one.
// Pointers stay valid for the context's lifetime.
class Context {
public:
    Context() = default;
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    Tensor* new_tensor(Type type, std::initializer_list<int64_t> ne);
    Tensor* new_tensor(Type type, int n_dims, const int64_t* ne);
    size_t size() const { return count_; }
    Tensor* at(size_t i) { return &blocks_[i / kBlock][i % kBlock]; }
    Tensor* find(const std::string& name);

private:
    // Tensors in blocks of kBlock, side by side: a decode graph (~1000 tensors, rebuilt every token) is
    // then a few allocations that the graph passes walk in order. (std::deque allocated every second
    // tensor apart: 512-byte chunks.)
    static constexpr size_t kBlock = 64;
    std::vector<std::unique_ptr<Tensor[]>> blocks_;
    size_t count_ = 0;
};

}  // namespace ggml
