#include "model.h"

#include <map>
#include <stdexcept>

#include "arch.h"
#include "backends/cpu/cpu_backend.h"

namespace giraffe {

std::unique_ptr<Model> Model::load(const std::string& path, const Options& opts) {
    std::unique_ptr<Model> m(new Model());
    m->file_ = std::make_unique<ggml::GgufFile>(ggml::GgufFile::open(path));
    const ggml::GgufFile& f = *m->file_;
    if (!opts.vocab_only) {
        m->hp_.arch = f.get_str("general.architecture");
        m->arch_ = &find_architecture(m->hp_.arch, path);
    }
    m->tok_ = Tokenizer::from_gguf(f);
    if (opts.vocab_only) return m;
    read_common_hparams(f, m->hp_);
    m->arch_->load_hparams(f, m->hp_);
    m->hp_.n_vocab = m->tok_->n_vocab();

    // Weights are used in place: one host buffer spans the mapping, and each tensor points into it.
    m->cpu_ = ggml::make_cpu_backend(opts.n_threads);
    m->mapping_ = ggml::wrap_host_memory(*m->cpu_, const_cast<uint8_t*>(f.mapping()), f.file_size());
    for (const ggml::GgufTensorInfo& ti : f.tensors()) {
        ggml::Tensor* t = m->tensors_.new_tensor(ti.type, ti.n_dims, ti.ne);
        t->name = ti.name;
        ggml::place_tensor(t, m->mapping_.get(), f.data_offset() + ti.offset);
        m->by_name_[ti.name] = t;
    }
    m->w_.layers.resize(size_t(m->hp_.n_layer));
    m->arch_->load_weights(*m);
    return m;
}

ggml::Tensor* Model::optional(const std::string& name, std::initializer_list<int64_t> ne) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return nullptr;
    ggml::Tensor* t = it->second;
    int i = 0;
    bool ok = true;
    for (int64_t d : ne) ok = ok && t->ne[i++] == d;
    for (; i < 4; i++) ok = ok && t->ne[i] == 1;
    if (!ok) {
        std::string want = "[";
        for (int64_t d : ne) want += (want.size() > 1 ? ", " : "") + std::to_string(d);
        throw std::runtime_error(file_->path() + ": tensor '" + name + "' has shape " + ggml::shape_str(t) +
                                 ", expected " + want + "]");
    }
    return t;
}

ggml::Tensor* Model::require(const std::string& name, std::initializer_list<int64_t> ne) {
    ggml::Tensor* t = optional(name, ne);
    if (!t) throw std::runtime_error(file_->path() + ": tensor '" + name + "' is missing");
    return t;
}

size_t Model::weight_bytes() const {
    size_t n = 0;
    for (const ggml::GgufTensorInfo& ti : file_->tensors()) n += ti.size;
    return n;
}

std::string Model::describe_type() const {
    std::map<std::string, size_t> bytes;
    for (const ggml::GgufTensorInfo& ti : file_->tensors())
        if (ti.n_dims >= 2) bytes[ggml::type_name(ti.type)] += ti.size;
    std::string best;
    size_t most = 0;
    for (auto& [name, n] : bytes)
        if (n > most) most = n, best = name;
    return best;
}

}  // namespace giraffe
