// giraffe quantize IN.gguf OUT.gguf TYPE: a quantized copy of a model, all metadata kept.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands.h"
#include "progress.h"
#include "quantize.h"

namespace cli {
namespace {

// "blk.3.attn_q.weight f16 -> q4_K"
std::string tensor_label(const giraffe::QuantizeProgress& p) {
    return *p.name + " " + ggml::type_name(p.from) + " -> " + ggml::type_name(p.to);
}

}  // namespace

int cmd_quantize(const Args& a) {
    if (a.positional.size() != 3)
        throw std::invalid_argument("usage: giraffe quantize IN.gguf OUT.gguf TYPE (TYPE: " + giraffe::quantize_targets() + ")");
    giraffe::QuantizeOptions o;
    o.target = a.positional[2];
    o.n_threads = a.n_threads;
    std::unique_ptr<Progress> bar;  // made at the first tensor, which tells the count
    o.warn = [&bar](const std::string& w) {
        if (bar) bar->print("warning: " + w);
        else std::fprintf(stderr, "warning: %s\n", w.c_str());
    };
    o.progress = [&bar](const giraffe::QuantizeProgress& p) {
        if (!bar) bar = std::make_unique<Progress>(p.count);
        bar->update(p.index, tensor_label(p), p.bytes_total ? double(p.bytes_done) / double(p.bytes_total) : -1);
    };
    remove_on_interrupt(a.positional[1] + ".tmp");
    const giraffe::QuantizeResult r = giraffe::quantize_model(a.positional[0], a.positional[1], o);
    remove_on_interrupt("");
    if (bar) bar->finish();
    std::fprintf(stderr, "%s: %d tensors quantized, %d kept; %.1f MiB -> %.1f MiB\n", a.positional[1].c_str(),
                 r.n_quantized, r.n_kept, double(r.bytes_in) / 1048576.0, double(r.bytes_out) / 1048576.0);
    return 0;
}

}  // namespace cli
