#include "quantize.h"

#include <omp.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "ggml/gguf.h"
#include "ggml/quants.h"

namespace giraffe {
namespace {

using ggml::Type;

// A mix: the base format and which tensors get more bits. Layer-dependent choices follow the common
// recipe: the first and last eighth of the layers and every third one between get the larger format
// for attention V and FFN down, whose errors hurt most.
struct Mix {
    const char* name;
    Type base, output, more_bits;  // more_bits: attn_v / ffn_down in the chosen layers
    uint32_t file_type;            // general.file_type (the common numbering)
    bool all_layers_first_eighth;  // _S variants: only the first eighth of the layers get more bits
};

const Mix kMixes[] = {
    {"Q4_K_M", Type::Q4_K, Type::Q6_K, Type::Q6_K, 15, false},
    {"Q4_K_S", Type::Q4_K, Type::Q6_K, Type::Q5_K, 14, true},
    {"Q5_K_M", Type::Q5_K, Type::Q6_K, Type::Q6_K, 17, false},
    {"Q3_K_M", Type::Q3_K, Type::Q6_K, Type::Q5_K, 12, false},
    {"Q2_K", Type::Q2_K, Type::Q6_K, Type::Q4_K, 10, false},
};

uint32_t file_type_of(Type t) {
    switch (t) {
    case Type::F32: return 0;
    case Type::F16: return 1;
    case Type::Q4_0: return 2;
    case Type::Q4_1: return 3;
    case Type::Q8_0: return 7;
    case Type::Q5_0: return 8;
    case Type::Q5_1: return 9;
    case Type::Q2_K: return 10;
    case Type::Q3_K: return 11;
    case Type::Q4_K: return 14;
    case Type::Q5_K: return 16;
    case Type::Q6_K: return 18;
    case Type::BF16: return 32;
    default: throw std::invalid_argument(std::string("cannot quantize to ") + ggml::type_name(t));
    }
}

bool use_more_bits(int il, int n_layer, bool first_eighth_only) {
    if (first_eighth_only) return il < n_layer / 8;
    return il < n_layer / 8 || il >= 7 * n_layer / 8 || (il - n_layer / 8) % 3 == 2;
}

int layer_of(const std::string& name) {
    if (name.rfind("blk.", 0) != 0) return -1;
    return std::atoi(name.c_str() + 4);
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Formats whose block fits a row that the K-quants' 256-element blocks do not (e.g. 640-wide Gemma rows).
Type fallback(Type t) {
    switch (t) {
    case Type::Q2_K: case Type::Q3_K: return Type::Q4_0;
    case Type::Q4_K: return Type::Q5_0;
    case Type::Q5_K: return Type::Q5_1;
    default: return Type::Q8_0;
    }
}

}  // namespace

std::string quantize_targets() {
    std::string s = "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K";
    for (const Mix& m : kMixes) s += std::string(", ") + m.name;
    return s;
}

QuantizeResult quantize_model(const std::string& in, const std::string& out, const QuantizeOptions& o) {
    const Mix* mix = nullptr;
    Type single = Type::F32;
    for (const Mix& m : kMixes)
        if (o.target == m.name) mix = &m;
    if (!mix && (!ggml::type_from_name(o.target, &single) || single == Type::Q8_1 || single == Type::Q8_K ||
                 (!ggml::type_traits(single).quantized && single != Type::F32 && single != Type::F16 &&
                  single != Type::BF16)))
        throw std::invalid_argument("unknown quantization type '" + o.target + "' (one of: " + quantize_targets() + ")");
    if (in == out) throw std::invalid_argument("input and output are the same file");

    const ggml::GgufFile f = ggml::GgufFile::open(in);
    const std::string arch = f.get_str("general.architecture", "");
    const int n_layer = arch.empty() ? 0 : int(f.get_u32(arch + ".block_count", 0));
    const bool tied = !f.find_tensor("output.weight");
    const int n_threads = o.n_threads > 0 ? o.n_threads : omp_get_max_threads();

    // Choose every tensor's format first, so a tensor that cannot be stored fails before any work.
    std::vector<Type> to(f.tensors().size());
    for (size_t i = 0; i < f.tensors().size(); i++) {
        const ggml::GgufTensorInfo& t = f.tensors()[i];
        Type want;
        if (t.n_dims < 2 || !ggml::type_traits(t.type).to_float) {
            want = t.type;  // norms, biases (and anything we cannot decode) stay as they are
        } else if (!mix) {
            want = single;
        } else if (t.name == "output.weight" || (tied && t.name == "token_embd.weight")) {
            want = mix->output;
        } else if ((contains(t.name, "attn_v.weight") || contains(t.name, "ffn_down")) &&
                   use_more_bits(layer_of(t.name), n_layer, mix->all_layers_first_eighth)) {
            want = mix->more_bits;
        } else {
            want = mix->base;
        }
        if (t.ne[0] % ggml::type_traits(want).block_size != 0) {
            if (!mix)
                throw std::invalid_argument("tensor '" + t.name + "' has rows of " + std::to_string(t.ne[0]) +
                                            " elements, not a multiple of the " + ggml::type_name(want) +
                                            " block size " + std::to_string(ggml::type_traits(want).block_size));
            const Type fb = fallback(want);
            if (o.warn)
                o.warn(t.name + ": rows of " + std::to_string(t.ne[0]) + " do not fit " + ggml::type_name(want) +
                       " blocks, using " + ggml::type_name(fb));
            want = fb;
        }
        to[i] = want;
    }
    bool requantize = false;
    for (size_t i = 0; i < to.size(); i++)
        requantize |= ggml::type_traits(f.tensors()[i].type).quantized && to[i] != f.tensors()[i].type;
    if (requantize && o.warn)
        o.warn("the input is already quantized: its weights are dequantized and quantized again, which loses more "
               "precision than quantizing the original");

    ggml::GgufWriter w;
    w.copy_kvs(f);
    w.set_alignment(f.alignment());
    w.set("general.file_type", ggml::GgufValue::u32(mix ? mix->file_type : file_type_of(single)));
    w.set("general.quantization_version", ggml::GgufValue::u32(2));

    QuantizeResult res;
    const int count = int(f.tensors().size());
    for (int i = 0; i < count; i++) {
        const ggml::GgufTensorInfo& t = f.tensors()[size_t(i)];
        const Type dst = to[size_t(i)];
        const size_t out_bytes = ggml::row_size(dst, t.ne[0]) * size_t(t.n_elements() / t.ne[0]);
        res.bytes_in += t.size;
        res.bytes_out += out_bytes;
        if (dst == t.type) {
            res.n_kept++;
            w.add_tensor(t.name, t.type, t.n_dims, t.ne, f.tensor_data(t));
            continue;
        }
        res.n_quantized++;
        w.add_tensor(t.name, dst, t.n_dims, t.ne, [&f, &t, &o, dst, i, count, out_bytes, n_threads](const auto& sink) {
            if (o.progress) o.progress({i + 1, count, &t.name, t.type, dst, t.size, out_bytes});
            const int64_t n_per_row = t.ne[0], n_rows = t.n_elements() / n_per_row;
            // A slab of rows at a time bounds memory for huge embedding tables.
            const int64_t slab = std::max<int64_t>(1, (int64_t(64) << 20) / (n_per_row * 4));
            std::vector<float> buf;
            std::vector<uint8_t> q;
            const size_t in_row = ggml::row_size(t.type, n_per_row), out_row = ggml::row_size(dst, n_per_row);
            const auto* src = static_cast<const uint8_t*>(f.tensor_data(t));
            for (int64_t r0 = 0; r0 < n_rows; r0 += slab) {
                const int64_t nr = std::min(slab, n_rows - r0);
                buf.resize(size_t(nr * n_per_row));
                q.resize(size_t(nr) * out_row);
                ggml::dequantize_rows(t.type, src + size_t(r0) * in_row, buf.data(), nr, n_per_row, n_threads);
                ggml::quantize_rows(dst, buf.data(), q.data(), nr, n_per_row, n_threads);
                sink(q.data(), q.size());
            }
        });
    }
    w.write(out);
    return res;
}

}  // namespace giraffe
