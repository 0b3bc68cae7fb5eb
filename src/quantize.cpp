// Which type each tensor gets (the rules of llama.cpp's llama-quant.cpp that giraffe implements):
//   - Vectors (norms, biases, RoPE factors) keep their type, and so does anything that cannot be decoded.
//   - The output matrix (output.weight, or token_embd.weight when the output is tied to it) gets Q6_K in
//     every mix and for the legacy formats Q4_0, Q4_1, Q5_0 and Q5_1, as llama.cpp's quantize gives it for
//     every target but Q8_0: the output is where low bits hurt most, and it is one matrix. Other single
//     formats (Q8_0, the K formats by name, F16, ...) are used as they are, everywhere (llama.cpp's
//     --pure), so "Q6_K" means Q6_K throughout.
//   - In a mix, attn_v (attn_qkv where Q, K and V are one matrix) and ffn_down get the mix's larger format
//     in the first and last eighth of the layers and every third layer between (_S mixes: the first
//     eighth only); every other matrix gets the mix's base format.
//   - Rows that a format's blocks do not divide (640-wide Gemma rows and the K formats' 256): Q2_K, Q3_K
//     -> Q4_0, Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, and F16 when even 32-element blocks do not fit,
//     with a warning. A mix and the output rule always fall back; a single format named by the user is an
//     error in `giraffe quantize` and falls back in `giraffe convert` (as convert_hf_to_gguf.py does).
#include "quantize.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "ggml/gguf.h"
#include "ggml/quants.h"
#include "ggml/threads.h"

namespace giraffe {

using ggml::Type;

struct QuantMix {
    const char* name;
    Type base, output, more_bits;  // more_bits: attn_v / attn_qkv / ffn_down in the chosen layers
    uint32_t file_type;            // general.file_type (the common numbering)
    bool first_eighth_only;        // _S variants: only the first eighth of the layers get more bits
};

namespace {

const QuantMix kMixes[] = {
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

bool is_legacy(Type t) { return t == Type::Q4_0 || t == Type::Q4_1 || t == Type::Q5_0 || t == Type::Q5_1; }

bool fits(Type t, int64_t n_per_row) { return n_per_row % ggml::type_traits(t).block_size == 0; }

// The next format for rows that t's blocks do not divide (F16 fits any row).
Type fallback(Type t) {
    switch (t) {
    case Type::Q2_K: case Type::Q3_K: return Type::Q4_0;
    case Type::Q4_K: return Type::Q5_0;
    case Type::Q5_K: return Type::Q5_1;
    case Type::Q6_K: return Type::Q8_0;
    default: return Type::F16;
    }
}

std::string upper(std::string s) {
    for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

std::string quantize_targets() {
    std::string s = "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K";
    for (const QuantMix& m : kMixes) s += std::string(", ") + m.name;
    return s;
}

QuantTarget parse_quant_target(const std::string& name) {
    QuantTarget t;
    t.name = name;
    for (const QuantMix& m : kMixes)
        if (upper(name) == m.name) {
            t.mix = &m, t.type = m.base, t.file_type = m.file_type;
            return t;
        }
    Type single;
    const bool ok = ggml::type_from_name(name, &single) && single != Type::Q8_1 && single != Type::Q8_K &&
                    (ggml::type_traits(single).quantized || single == Type::F32 || single == Type::F16 ||
                     single == Type::BF16);
    if (!ok) throw std::invalid_argument("unknown quantization type '" + name + "' (one of: " + quantize_targets() + ")");
    t.type = single;
    t.file_type = file_type_of(single);
    return t;
}

ggml::Type choose_quant_type(const QuantTarget& t, const QuantTensor& q, MisfitPolicy misfit,
                             const std::function<void(const std::string&)>& warn) {
    const bool is_output = q.name == "output.weight" || (q.output_tied && q.name == "token_embd.weight");
    Type want = t.type;
    bool may_fall_back = t.mix || misfit == MisfitPolicy::FallBack;
    if (is_output && (t.mix || is_legacy(t.type))) {
        want = t.mix ? t.mix->output : Type::Q6_K;
        may_fall_back = true;
    } else if (t.mix && (contains(q.name, "attn_v.weight") || contains(q.name, "attn_qkv.weight") ||
                         contains(q.name, "ffn_down")) &&
               use_more_bits(layer_of(q.name), q.n_layer, t.mix->first_eighth_only)) {
        want = t.mix->more_bits;
    }
    if (fits(want, q.n_per_row)) return want;
    if (!may_fall_back)
        throw std::invalid_argument("tensor '" + q.name + "' has rows of " + std::to_string(q.n_per_row) +
                                    " elements, not a multiple of the " + ggml::type_name(want) + " block size " +
                                    std::to_string(ggml::type_traits(want).block_size));
    Type fb = fallback(want);
    if (!fits(fb, q.n_per_row)) fb = Type::F16;
    if (warn)
        warn(q.name + ": rows of " + std::to_string(q.n_per_row) + " do not fit " + ggml::type_name(want) +
             " blocks, using " + ggml::type_name(fb));
    return fb;
}

void write_rows(Type t, int64_t n_rows, int64_t n_per_row, const RowReader& read, const ByteSink& sink, int n_threads) {
    // A slab of rows at a time bounds memory for huge embedding tables.
    const int64_t slab = std::max<int64_t>(1, (int64_t(64) << 20) / (n_per_row * 4));
    const size_t out_row = ggml::row_size(t, n_per_row);
    std::vector<float> buf;
    std::vector<uint8_t> q;
    for (int64_t r0 = 0; r0 < n_rows; r0 += slab) {
        const int64_t nr = std::min(slab, n_rows - r0);
        buf.resize(size_t(nr * n_per_row));
        q.resize(size_t(nr) * out_row);
        read(r0, nr, buf.data());
        if (ggml::quantize_rows(t, buf.data(), q.data(), nr, n_per_row, n_threads) != q.size())
            throw std::invalid_argument(std::string("cannot convert rows of ") + std::to_string(n_per_row) + " to " +
                                        ggml::type_name(t));
        sink(q.data(), q.size());
    }
}

QuantizeResult quantize_model(const std::string& in, const std::string& out, const QuantizeOptions& o) {
    const QuantTarget target = parse_quant_target(o.target);
    if (in == out) throw std::invalid_argument("input and output are the same file");

    const ggml::GgufFile f = ggml::GgufFile::open(in);
    const std::string arch = f.get_str("general.architecture", "");
    const int n_layer = arch.empty() ? 0 : int(f.get_u32(arch + ".block_count", 0));
    const bool tied = !f.find_tensor("output.weight");
    const int n_threads = o.n_threads > 0 ? o.n_threads : ggml::default_threads();

    // Choose every tensor's format first, so a tensor that cannot be stored fails before any work.
    std::vector<Type> to(f.tensors().size());
    for (size_t i = 0; i < f.tensors().size(); i++) {
        const ggml::GgufTensorInfo& t = f.tensors()[i];
        const bool vector = t.n_dims < 2 || !ggml::type_traits(t.type).to_float;  // kept as it is
        to[i] = vector ? t.type : choose_quant_type(target, {t.name, t.ne[0], n_layer, tied}, MisfitPolicy::Refuse, o.warn);
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
    w.set("general.file_type", ggml::GgufValue::u32(target.file_type));
    w.set("general.quantization_version", ggml::GgufValue::u32(2));

    auto out_bytes_of = [&](size_t i) {
        const ggml::GgufTensorInfo& t = f.tensors()[i];
        return ggml::row_size(to[i], t.ne[0]) * size_t(t.n_elements() / t.ne[0]);
    };
    size_t convert_total = 0;  // the work: output bytes of the tensors that get a new type
    for (size_t i = 0; i < to.size(); i++)
        if (to[i] != f.tensors()[i].type) convert_total += out_bytes_of(i);

    QuantizeResult res;
    size_t converted = 0;
    const int count = int(f.tensors().size());
    for (int i = 0; i < count; i++) {
        const ggml::GgufTensorInfo& t = f.tensors()[size_t(i)];
        const Type dst = to[size_t(i)];
        const size_t out_bytes = out_bytes_of(size_t(i));
        res.bytes_in += t.size;
        res.bytes_out += out_bytes;
        if (dst == t.type) {
            res.n_kept++;
            w.add_tensor(t.name, t.type, t.n_dims, t.ne, f.tensor_data(t));
            continue;
        }
        res.n_quantized++;
        const QuantizeProgress report{i + 1, count, &t.name, t.type, dst, t.size, out_bytes, converted, convert_total};
        converted += out_bytes;
        w.add_tensor(t.name, dst, t.n_dims, t.ne, [&f, &t, &o, dst, report, n_threads](const auto& sink) {
            if (o.progress) o.progress(report);
            const int64_t n_per_row = t.ne[0];
            const size_t in_row = ggml::row_size(t.type, n_per_row);
            const auto* src = static_cast<const uint8_t*>(f.tensor_data(t));
            const RowReader read = [&](int64_t r0, int64_t n, float* dst_rows) {
                ggml::dequantize_rows(t.type, src + size_t(r0) * in_row, dst_rows, n, n_per_row, n_threads);
            };
            write_rows(dst, t.n_elements() / n_per_row, n_per_row, read, sink, n_threads);
        });
    }
    w.write(out);
    return res;
}

}  // namespace giraffe
