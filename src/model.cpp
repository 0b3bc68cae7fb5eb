#include "model.h"

#include <cstdlib>
#include <map>
#include <stdexcept>

#include "arch.h"
#include "backends/registry.h"
#include "ggml/alloc.h"

namespace giraffe {

std::unique_ptr<Model> Model::load(const std::string& path, const Options& opts) {
    const ggml::DeviceSpec device = ggml::parse_device(opts.device);
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

    // Weights are first used in place: one host buffer spans the mapping, and each tensor points into it.
    // Placement then moves the offloaded layers to the GPU and lets the CPU lay out the rest its way.
    m->cpu_ = ggml::make_backend(ggml::DeviceSpec{}, opts.n_threads);
    if (!device.is_cpu()) m->gpu_ = ggml::make_backend(device, opts.n_threads);
    m->mapping_ = m->cpu_->wrap_host_memory(const_cast<uint8_t*>(f.mapping()), f.file_size());
    for (const ggml::GgufTensorInfo& ti : f.tensors()) {
        ggml::Tensor* t = m->tensors_.new_tensor(ti.type, ti.n_dims, ti.ne);
        t->name = ti.name;
        ggml::place_tensor(t, m->mapping_.get(), f.data_offset() + ti.offset);
        m->by_name_[ti.name] = t;
    }
    m->w_.layers.resize(size_t(m->hp_.n_layer));
    m->arch_->load_weights(*m);
    m->load_rope_factors();
    m->output_tied_ = m->w_.output == m->w_.tok_embd;
    if (m->gpu_) {
        const int n = opts.n_gpu_layers < 0 ? m->hp_.n_layer : std::min(opts.n_gpu_layers, m->hp_.n_layer);
        if (n > 0) m->offload(n);
    }
    if (opts.repack) m->repack_weights();
    return m;
}

std::vector<ggml::Backend*> Model::backends() const {
    if (gpu()) return {gpu_.get(), cpu_.get()};
    return {cpu_.get()};
}

ggml::Backend& Model::layer_backend(int il) const {
    return gpu() && il >= hp_.n_layer - n_gpu_ ? *gpu_ : *cpu_;
}

ggml::Tensor* Model::separate_output() {
    ggml::Tensor* out = tensors_.new_tensor(w_.tok_embd->type, w_.tok_embd->n_dims(), w_.tok_embd->ne);
    out->name = w_.tok_embd->name + " (output)";
    out->data = w_.tok_embd->data;
    out->buffer = w_.tok_embd->buffer;
    for (int i = 0; i < 4; i++) out->nb[i] = w_.tok_embd->nb[i];
    return w_.output = out;
}

void Model::offload(int n_gpu) {
    n_gpu_ = n_gpu;
    // Per group (an offloaded layer, or the output layer), the tensors to move: a layer's weights are
    // named blk.<il>.*; the output layer is output*, and rope_freqs, which every layer's RoPE reads.
    const int first = hp_.n_layer - n_gpu;
    std::vector<std::vector<ggml::Tensor*>> groups(size_t(n_gpu) + 1);
    for (auto& [name, t] : by_name_) {
        int il = -1;
        if (name.compare(0, 4, "blk.") == 0) il = std::atoi(name.c_str() + 4);
        if (il >= first && il < hp_.n_layer) groups[size_t(il - first)].push_back(t);
        else if (name.compare(0, 6, "output") == 0 || name.compare(0, 10, "rope_freqs") == 0 ||
                 name.compare(0, 12, "rope_factors") == 0)
            groups.back().push_back(t);
    }
    if (output_tied_) groups.back().push_back(separate_output());
    for (const std::vector<ggml::Tensor*>& g : groups) {
        std::vector<const void*> host;
        for (const ggml::Tensor* t : g) host.push_back(t->data);
        for (ggml::Tensor* t : g) t->buffer = nullptr, t->data = nullptr;
        gpu_buffers_.push_back(ggml::alloc_tensors(*gpu_, g));
        for (size_t i = 0; i < g.size(); i++) {
            ggml::tensor_set(g[i], host[i], g[i]->nbytes());
            if (g[i] != w_.output || !output_tied_) file_->drop_pages(host[i], g[i]->nbytes());
        }
    }
}

void Model::repack_weights() {
    // Only weights on the CPU that mul_mat alone reads. A token embedding tied to the output (Gemma:
    // 262144 x 640, two thirds of the weight bytes) stays plain for get_rows, and the output product gets
    // an interleaved copy of it (the plain pages are then dropped like the others': get_rows faults back
    // in only the rows it reads).
    ggml::Tensor* tied = w_.output && w_.output == w_.tok_embd ? separate_output() : nullptr;
    std::vector<ggml::Tensor*> todo;
    auto consider = [&](ggml::Tensor* t) {
        if (t && t != w_.tok_embd && t->buffer == mapping_.get()) todo.push_back(t);
    };
    consider(w_.output);
    for (const LayerWeights& l : w_.layers)
        for (ggml::Tensor* t : {l.wq, l.wk, l.wv, l.wqkv, l.wo, l.ffn_gate, l.ffn_up, l.ffn_down}) consider(t);
    std::vector<std::pair<const void*, size_t>> plain;
    for (const ggml::Tensor* t : todo) plain.emplace_back(t->data, t->nbytes());
    repacked_ = cpu_->prepare_product_weights(todo);
    // The plain copies of what moved are no longer read: keep the weights once in memory.
    for (size_t i = 0; i < todo.size(); i++)
        if (todo[i]->data != plain[i].first) file_->drop_pages(plain[i].first, plain[i].second);
    if (tied && tied->data == w_.tok_embd->data) w_.output = w_.tok_embd;  // not moved: one tensor serves both again
}

void Model::load_rope_factors() {
    // Per-pair RoPE divisors every layer reads, whatever the architecture: Llama 3's rope_freqs (an
    // architecture may have loaded it already) and LongRoPE's short and long factors. The rope op reads
    // them as floats.
    const int64_t half = hp_.n_rot / 2;
    if (!w_.rope_freqs) w_.rope_freqs = optional("rope_freqs.weight", {half});
    w_.rope_factors_short = optional("rope_factors_short.weight", {half});
    w_.rope_factors_long = optional("rope_factors_long.weight", {half});
    for (const ggml::Tensor* t : {w_.rope_freqs, w_.rope_factors_short, w_.rope_factors_long})
        if (t && t->type != ggml::Type::F32)
            throw std::runtime_error(file_->path() + ": tensor '" + t->name + "' has type " +
                                     ggml::type_traits(t->type).name + ", expected f32");
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
