// giraffe convert HF_DIR -o OUT.gguf [--type auto|f32|f16|bf16|q8_0|q4_k_m|...] [-t N]: a Hugging Face
// checkpoint folder to GGUF (convert/convert.h), with a progress bar per tensor (progress.h).
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands.h"
#include "convert/convert.h"
#include "progress.h"
#include "quantize.h"

namespace cli {
namespace {

// "token_embd.weight q8_0 2.13 MiB"
std::string tensor_label(const giraffe::convert::ConvertProgress& p) {
    char size[32];
    std::snprintf(size, sizeof size, "%.2f MiB", double(p.bytes) / 1048576.0);
    return *p.name + " " + ggml::type_name(p.type) + " " + size;
}

}  // namespace

int cmd_convert(const Args& a) {
    if (a.positional.size() != 1 || a.output.empty())
        throw std::invalid_argument("usage: giraffe convert HF_DIR -o OUT.gguf [--type auto|f32|f16|bf16|q8_0|" +
                                    std::string("q4_k_m|...] [-t N] (--type: auto or one of ") +
                                    giraffe::quantize_targets() + ")");
    giraffe::convert::ConvertOptions o;
    o.type = a.type.empty() ? "auto" : a.type;
    o.n_threads = a.n_threads;
    std::unique_ptr<Progress> bar;  // made at the first tensor, which tells the count
    o.warn = [&bar](const std::string& w) {
        if (bar) bar->print("warning: " + w);
        else std::fprintf(stderr, "warning: %s\n", w.c_str());
    };
    o.progress = [&bar](const giraffe::convert::ConvertProgress& p) {
        if (!bar) bar = std::make_unique<Progress>(p.count);
        bar->update(p.index, tensor_label(p), p.bytes_total ? double(p.bytes_done) / double(p.bytes_total) : -1);
    };
    remove_on_interrupt(a.output + ".tmp");
    const giraffe::convert::ConvertResult r = giraffe::convert::convert_checkpoint(a.positional[0], a.output, o);
    remove_on_interrupt("");
    if (bar) bar->finish();
    std::fprintf(stderr, "%s: %s (%s), %d tensors, %s, %.1f MiB\n", a.output.c_str(), r.arch.c_str(),
                 r.hf_architecture.c_str(), r.n_tensors, r.type.c_str(), double(r.bytes) / 1048576.0);
    return 0;
}

}  // namespace cli
