#include "model.h"

#include <omp.h>

#include <map>
#include <stdexcept>

#include "arch.h"
#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/repack.h"

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
    m->output_tied_ = m->w_.output == m->w_.tok_embd;
    if (opts.repack) m->repack_weights(opts.n_threads);
    return m;
}

void Model::repack_weights(int n_threads) {
    // Only weights that mul_mat alone reads. A token embedding tied to the output (Gemma: 262144 x 640,
    // two thirds of the weight bytes) stays plain for get_rows, and the output product gets an
    // interleaved copy of it (the plain pages are then dropped like the others': get_rows faults back in
    // only the rows it reads).
    std::vector<ggml::Tensor*> todo;
    auto consider = [&](ggml::Tensor* t) {
        if (t && t != w_.tok_embd && t->n_dims() == 2 && ggml::cpu::repack_supported(t->type, t->ne[0], t->ne[1]))
            todo.push_back(t);
    };
    if (w_.output && w_.output == w_.tok_embd &&
        ggml::cpu::repack_supported(w_.output->type, w_.output->ne[0], w_.output->ne[1])) {
        ggml::Tensor* out = tensors_.new_tensor(w_.tok_embd->type, w_.tok_embd->n_dims(), w_.tok_embd->ne);
        out->name = w_.tok_embd->name + " (output)";
        out->data = w_.tok_embd->data;
        out->buffer = w_.tok_embd->buffer;
        for (int i = 0; i < 4; i++) out->nb[i] = w_.tok_embd->nb[i];
        w_.output = out;
    }
    consider(w_.output);
    for (const LayerWeights& l : w_.layers)
        for (ggml::Tensor* t : {l.wq, l.wk, l.wv, l.wo, l.ffn_gate, l.ffn_up, l.ffn_down}) consider(t);
    if (todo.empty()) return;
    const size_t align = cpu_->alignment();
    auto bytes_of = [&](const ggml::Tensor* t) {
        return (ggml::cpu::repacked_row_bytes(t->type, t->ne[0]) * size_t(t->ne[1]) + align - 1) / align * align;
    };
    size_t total = 0;
    for (const ggml::Tensor* t : todo) total += bytes_of(t);
    repacked_ = cpu_->alloc_buffer(total);
    size_t offset = 0;
    const int nth = n_threads > 0 ? n_threads : omp_get_max_threads();
    for (ggml::Tensor* t : todo) {
        const void* plain = t->data;
        const size_t plain_bytes = t->nbytes();
        ggml::cpu::repack_tensor(t, static_cast<char*>(repacked_->base()) + offset, nth);
        t->buffer = repacked_.get();
        offset += bytes_of(t);
        file_->drop_pages(plain, plain_bytes);  // the plain copy is no longer read: keep the weights once in memory
    }
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
