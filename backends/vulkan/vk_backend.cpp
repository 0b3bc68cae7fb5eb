#include "backends/vulkan/vk_backend.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include "backends/vulkan/ops/ops.h"
#include "backends/vulkan/vk_buffer.h"
#include "ggml/op_profile.h"

namespace ggml {
namespace {

bool is_float(Type t) { return t == Type::F32 || t == Type::F16 || t == Type::BF16; }
bool is_layout(Op op) { return op == Op::None || op == Op::View || op == Op::Reshape || op == Op::Permute || op == Op::Transpose; }

class VulkanBackend : public Backend {
public:
    explicit VulkanBackend(int index) : dev_(index), name_("Vulkan" + std::to_string(index)) {}

    std::string name() const override { return name_; }
    std::string description() const override { return dev_.info().name + " (" + dev_.info().kind + ")"; }
    size_t alignment() const override { return std::max<size_t>(64, dev_.binding_alignment()); }

    std::unique_ptr<Buffer> alloc_buffer(size_t size) override {
        return std::make_unique<vk::VulkanBuffer>(*this, dev_, size);
    }

    bool supports(const Tensor* n) const override {
        if (is_layout(n->op)) return true;
        const Tensor* a = n->src[0];
        // mul_mat and get_rows split tensors too large for one binding; every other op binds them whole.
        if (n->op != Op::MulMat && n->op != Op::GetRows) {
            if (!vk::fits_binding(dev_, n)) return false;
            for (const Tensor* s : n->src)
                if (s && !vk::fits_binding(dev_, s)) return false;
        }
        switch (n->op) {
        case Op::Cpy: case Op::Cont:
            return is_float(a->type) && is_float(n->type);
        case Op::Concat:
            return is_float(a->type) && a->type == n->src[1]->type;
        case Op::GetRows:
            return vk::weight_type_supported(a->type);
        case Op::MulMat:
            return vk::weight_type_supported(a->type) && n->src[1]->type == Type::F32;
        case Op::SoftMax:
            return a->type == Type::F32 && (!n->src[1] || is_float(n->src[1]->type));
        case Op::Argmax:
            return a->type == Type::F32;
        case Op::FlashAttn:
            return a->type == Type::F32 && is_float(n->src[1]->type) && is_float(n->src[2]->type) &&
                   (!n->src[3] || n->src[3]->type == Type::F32) && !n->src[4] && a->ne[0] <= vk::kFlashAttnMaxHead &&
                   n->src[2]->ne[0] <= vk::kFlashAttnMaxHead;  // no kv_start (several sequences) yet
        case Op::Count:
            return false;
        default:
            // The remaining ops are f32 in and out (their graph builders check it).
            for (const Tensor* s : n->src)
                if (s && s->type != Type::F32 && !(n->op == Op::Rope && s->type == Type::I32)) return false;
            return n->type == Type::F32;
        }
    }

    void compute(const Graph& g) override {
        vk::Recorder r(dev_);
        if (profile_.enabled()) return compute_profiled(r, g);
        dev_.begin();
        for (Tensor* n : g.nodes) run(r, n);
        dev_.finish();
    }

private:
    // GIRAFFE_PROFILE=1: each node submitted and waited for alone, its time summed per op (and weight type
    // for mul_mat).
    void compute_profiled(vk::Recorder& r, const Graph& g) {
        for (Tensor* n : g.nodes) {
            if (is_layout(n->op)) continue;
            const auto t0 = std::chrono::steady_clock::now();
            dev_.begin();
            run(r, n);
            dev_.finish();
            std::string key = op_name(n->op);
            if (n->op == Op::MulMat || n->op == Op::GetRows) key += std::string(" ") + type_name(n->src[0]->type) + (n->src[1]->ne[1] > 8 ? "" : " vec");
            profile_.add(key, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
    }

    static void run(vk::Recorder& r, const Tensor* n) {
        using namespace vk;
        switch (n->op) {
        case Op::None: case Op::View: case Op::Reshape: case Op::Permute: case Op::Transpose: return;
        case Op::Cpy: case Op::Cont: op_cpy(r, n); return;
        case Op::Concat: op_concat(r, n); return;
        case Op::GetRows: op_get_rows(r, n); return;
        case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: op_binary(r, n); return;
        case Op::Scale: op_scale(r, n); return;
        case Op::Sqr: op_sqr(r, n); return;
        case Op::Sqrt: op_sqrt(r, n); return;
        case Op::Clamp: op_clamp(r, n); return;
        case Op::Unary: op_unary(r, n); return;
        case Op::Glu: op_glu(r, n); return;
        case Op::RmsNorm: op_rms_norm(r, n); return;
        case Op::Norm: op_norm(r, n); return;
        case Op::SoftMax: op_soft_max(r, n); return;
        case Op::Rope: op_rope(r, n); return;
        case Op::SumRows: case Op::Mean: op_sum_rows(r, n); return;
        case Op::Argmax: op_argmax(r, n); return;
        case Op::MulMat: op_mul_mat(r, n); return;
        case Op::FlashAttn: op_flash_attn(r, n); return;
        case Op::Count: break;
        }
        throw std::logic_error(std::string("vulkan: op ") + op_name(n->op) + " not implemented");
    }

    mutable vk::Device dev_;
    std::string name_;
    OpProfile profile_{"vulkan"};
};

}  // namespace

std::unique_ptr<Backend> make_vulkan_backend(int index) { return std::make_unique<VulkanBackend>(index); }

}  // namespace ggml
