// The conversion driver: config.json -> architecture -> keys, tokenizer, tensor plan -> streamed GGUF.
#include "convert/convert.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

#include "convert/arch.h"
#include "convert/safetensors.h"
#include "ggml/mapped_pages.h"
#include "quantize.h"

namespace giraffe::convert {
namespace {

using ggml::Type;

bool ends_with(const std::string& s, const char* suffix) {
    const size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

std::string shape_str(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); i++) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// general.name as the Python converter derives it (gguf-py's Metadata without a model card): the model id
// of config.json's _name_or_path when it is one ("org/name"), else the folder's name; then its words
// (split at '-') title-cased where they are all lower case, except version-like words ("v2", "7b").
std::string model_name(const std::string& dir, const JsonObject& c) {
    std::string id = c.get_str("_name_or_path", "");
    if (id.empty() || std::count(id.begin(), id.end(), '/') > 1) {
        std::string d = dir;
        while (d.size() > 1 && d.back() == '/') d.pop_back();
        id = d.substr(d.find_last_of('/') == std::string::npos ? 0 : d.find_last_of('/') + 1);
    }
    if (id.find(' ') != std::string::npos) return id;  // already a human name
    id = id.substr(id.find('/') == std::string::npos ? 0 : id.find('/') + 1);
    std::replace(id.begin(), id.end(), '-', ' ');
    std::string out, word;
    const auto flush = [&] {
        if (word.empty()) return;
        bool cased = false, upper = false;
        for (unsigned char ch : word) cased |= std::isalpha(ch) != 0, upper |= std::isupper(ch) != 0;
        const bool version = std::isdigit(static_cast<unsigned char>(word[0])) ||
                             (word[0] == 'v' && word.size() > 1 && word.find_first_not_of("0123456789.", 1) == std::string::npos);
        if (cased && !upper && !version)  // Python's str.title(): a letter after a non-letter is upper case
            for (size_t i = 0; i < word.size(); i++)
                if (i == 0 || !std::isalpha(static_cast<unsigned char>(word[i - 1])))
                    word[i] = char(std::toupper(static_cast<unsigned char>(word[i])));
        out += (out.empty() ? "" : " ") + word;
        word.clear();
    };
    for (char ch : id) {
        if (std::isspace(static_cast<unsigned char>(ch))) flush();
        else word += ch;
    }
    flush();
    return out;
}

// The output target: "auto" is the Python converter's guess (the first matrix stored as BF16 or F16
// decides; F16 otherwise), the rest are `giraffe quantize` names.
QuantTarget output_target(const std::string& type, const Checkpoint& ck) {
    std::string t = type;
    for (char& ch : t) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (t.empty() || t == "auto") {
        t = "F16";
        for (const StTensor* st : ck.tensors())
            if (st->shape.size() >= 2 && (st->dtype == StDtype::BF16 || st->dtype == StDtype::F16)) {
                t = st->dtype == StDtype::BF16 ? "BF16" : "F16";
                break;
            }
    }
    return parse_quant_target(t);
}

// One output tensor, resolved against the checkpoint.
struct Planned {
    const TensorSpec* spec;
    const StTensor* src;  // nullptr: spec->values
    int n_dims;
    int64_t ne[4];
    Type type;
    size_t bytes;
};

// Checkpoint tensors the Python converter drops as well (buffers, not weights).
bool ignorable(const std::string& name) {
    return ends_with(name, ".rotary_emb.inv_freq") || ends_with(name, ".attention.masked_bias") ||
           ends_with(name, ".attention.bias");
}

// Finds every spec's tensor and checks its shape and dtype; refuses checkpoint tensors no spec uses.
std::vector<Planned> resolve(const std::vector<TensorSpec>& specs, const Checkpoint& ck, const std::string& hf_arch) {
    std::vector<Planned> plan;
    std::set<std::string> used;
    for (const TensorSpec& s : specs) {
        Planned p{&s, nullptr, 0, {1, 1, 1, 1}, Type::F32, 0};
        if (!s.hf.empty()) {
            p.src = ck.find(s.hf);
            if (!p.src) {
                if (s.required)
                    throw ConvertError(ck.dir() + ": tensor '" + s.hf + "' is missing (a " + hf_arch +
                                       " with config.json's sizes has it)");
                continue;
            }
            used.insert(s.hf);
            const std::string& file = p.src->file ? *p.src->file : ck.dir();
            if (p.src->shape != s.shape)
                throw ConvertError(file + ": tensor '" + s.hf + "' has shape " + shape_str(p.src->shape) +
                                   ", config.json implies " + shape_str(s.shape));
            if (p.src->dtype != StDtype::F32 && p.src->dtype != StDtype::F16 && p.src->dtype != StDtype::BF16)
                throw ConvertError(file + ": tensor '" + s.hf + "' has dtype " + st_dtype_name(p.src->dtype) +
                                   " (F32, F16 and BF16 can be converted)");
        }
        p.n_dims = int(s.shape.size());
        if (p.n_dims < 1 || p.n_dims > 4) throw ConvertError("tensor '" + s.gguf + "' has " + std::to_string(p.n_dims) + " dimensions");
        for (int d = 0; d < p.n_dims; d++) p.ne[d] = s.shape[size_t(p.n_dims - 1 - d)];
        if (s.keep_rows >= 0) p.ne[p.n_dims - 1] = std::min(p.ne[p.n_dims - 1], s.keep_rows);
        plan.push_back(p);
    }
    for (const StTensor* t : ck.tensors())
        if (!used.count(t->name) && !ignorable(t->name))
            throw ConvertError((t->file ? *t->file : ck.dir()) + ": tensor '" + t->name + "' is not part of a " + hf_arch +
                               " checkpoint with config.json's sizes");
    return plan;
}

// Reads output rows [r0, r0 + n) of a planned tensor as floats, with its spec's changes applied.
void read_rows(const Planned& p, int64_t r0, int64_t n, float* dst) {
    const TensorSpec& s = *p.spec;
    const int64_t e0 = r0 * p.ne[0], e1 = (r0 + n) * p.ne[0];
    if (!p.src) {
        std::copy(s.values.begin() + e0, s.values.begin() + e1, dst);
        return;
    }
    // The permutation moves whole checkpoint rows (outermost index): `unit` elements each.
    const StTensor& st = *p.src;
    const int64_t unit = st.n_elements() / st.shape[0], esize = int64_t(st_dtype_size(st.dtype));
    StTensor view = st;
    const auto convert = [&](int64_t src_row, int64_t rows, float* out) {
        view.data = st.data + src_row * unit * esize;
        view.nbytes = size_t(rows * unit * esize);
        view.shape = {rows * unit};
        st_to_f32(view, out);
    };
    if (s.permute_heads <= 0) {
        convert(e0 / unit, (e1 - e0) / unit, dst);
    } else {
        // Within a head of hd rows, output row 2i + j is checkpoint row j * hd / 2 + i.
        const int64_t hd = st.shape[0] / s.permute_heads;
        for (int64_t r = e0 / unit; r < e1 / unit; r++) {
            const int64_t w = r % hd, src = r - w + (w % 2) * (hd / 2) + w / 2;
            convert(src, 1, dst + (r - e0 / unit) * unit);
        }
    }
    if (s.add_one)
        for (int64_t i = 0; i < e1 - e0; i++) {
            dst[i] += 1.0f;
            if (st.dtype == StDtype::F16) dst[i] = ggml::fp16_to_fp32(ggml::fp32_to_fp16(dst[i]));
        }
}

void check_specs(const std::vector<TensorSpec>& specs, const JsonObject& c) {
    for (const TensorSpec& s : specs)
        if (s.permute_heads > 0 && (s.shape.empty() || s.shape[0] % (2 * s.permute_heads) != 0))
            c.fail("tensor '" + s.hf + "': " + std::to_string(s.shape.empty() ? 0 : s.shape[0]) +
                   " rows do not split into " + std::to_string(s.permute_heads) + " heads of even size");
}

}  // namespace

ConvertResult convert_checkpoint(const std::string& dir, const std::string& out, const ConvertOptions& o) {
    struct stat st;
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw ConvertError(dir + ": no such directory");
    const JsonObject cfg = load_hf_config(dir);
    ConvertResult res;
    res.hf_architecture = cfg.get_first_str("architectures");
    const Architecture* arch = find_architecture(res.hf_architecture);
    if (!arch)
        cfg.fail("architecture '" + res.hf_architecture + "' is not supported (supported: " + supported_architectures() + ")");
    res.arch = arch->gguf_name;
    const Checkpoint ck(dir);
    const QuantTarget target = output_target(o.type, ck);

    ggml::GgufWriter w;
    w.set("general.architecture", ggml::GgufValue::str(arch->gguf_name));
    w.set("general.type", ggml::GgufValue::str("model"));
    w.set("general.name", ggml::GgufValue::str(model_name(dir, cfg)));
    arch->metadata(cfg, w, o.warn);
    w.set("general.file_type", ggml::GgufValue::u32(target.file_type));
    w.set("general.quantization_version", ggml::GgufValue::u32(2));
    add_tokenizer_metadata(dir, arch->gguf_name, arch->vocab(cfg, dir), cfg.get_size("vocab_size"), w);
    const ggml::GgufValue* tokens = w.find("tokenizer.ggml.tokens");

    const std::vector<TensorSpec> specs = arch->tensors({cfg, dir, tokens ? int64_t(tokens->array_size()) : 0});
    check_specs(specs, cfg);
    std::vector<Planned> plan = resolve(specs, ck, res.hf_architecture);
    const bool tied = std::none_of(plan.begin(), plan.end(), [](const Planned& p) { return p.spec->gguf == "output.weight"; });
    const int n_layer = int(cfg.get_size("num_hidden_layers"));
    size_t total = 0;
    for (Planned& p : plan) {
        // As the Python converter: vectors and norms stay F32, weight matrices get the target's type.
        const bool matrix = p.n_dims >= 2 && ends_with(p.spec->gguf, ".weight") && !ends_with(p.spec->gguf, "_norm.weight");
        p.type = matrix ? choose_quant_type(target, {p.spec->gguf, p.ne[0], n_layer, tied}, MisfitPolicy::FallBack, o.warn)
                        : Type::F32;
        p.bytes = ggml::row_size(p.type, p.ne[0]) * size_t(p.ne[1] * p.ne[2] * p.ne[3]);
        total += p.bytes;
    }

    size_t done = 0;
    const int count = int(plan.size());
    for (int i = 0; i < count; i++) {
        const Planned& p = plan[size_t(i)];
        w.add_tensor(p.spec->gguf, p.type, p.n_dims, p.ne, [&o, &p, i, count, done, total](const ggml::GgufWriter::ByteSink& sink) {
            if (o.progress) o.progress({i + 1, count, &p.spec->gguf, p.type, p.bytes, done, total});
            const RowReader read = [&p](int64_t r0, int64_t n, float* dst) { read_rows(p, r0, n, dst); };
            write_rows(p.type, p.ne[1] * p.ne[2] * p.ne[3], p.ne[0], read, sink, o.n_threads);
            if (p.src) ggml::drop_mapped_pages(p.src->data, p.src->nbytes);  // read once: keep memory at a few slabs
        });
        done += p.bytes;
    }
    w.write(out);
    res.type = target.mix ? target.name : ggml::type_name(target.type);
    for (char& ch : res.type) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    res.n_tensors = count;
    res.bytes = total;
    return res;
}

}  // namespace giraffe::convert
