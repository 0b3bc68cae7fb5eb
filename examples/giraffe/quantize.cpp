// giraffe quantize IN.gguf OUT.gguf TYPE: a quantized copy of a model, all metadata kept.
#include <cstdio>
#include <stdexcept>
#include <string>

#include "commands.h"
#include "quantize.h"

namespace cli {

int cmd_quantize(const Args& a) {
    if (a.positional.size() != 3)
        throw std::invalid_argument("usage: giraffe quantize IN.gguf OUT.gguf TYPE (TYPE: " + giraffe::quantize_targets() + ")");
    giraffe::QuantizeOptions o;
    o.target = a.positional[2];
    o.n_threads = a.n_threads;
    o.warn = [](const std::string& w) { std::fprintf(stderr, "warning: %s\n", w.c_str()); };
    o.progress = [](const giraffe::QuantizeProgress& p) {
        std::fprintf(stderr, "[%4d/%4d] %-36s %6s -> %-6s %9.2f MiB -> %8.2f MiB\n", p.index, p.count, p.name->c_str(),
                     ggml::type_name(p.from), ggml::type_name(p.to), double(p.bytes_in) / 1048576.0,
                     double(p.bytes_out) / 1048576.0);
    };
    remove_on_interrupt(a.positional[1] + ".tmp");
    const giraffe::QuantizeResult r = giraffe::quantize_model(a.positional[0], a.positional[1], o);
    remove_on_interrupt("");
    std::fprintf(stderr, "%s: %d tensors quantized, %d kept; %.1f MiB -> %.1f MiB\n", a.positional[1].c_str(),
                 r.n_quantized, r.n_kept, double(r.bytes_in) / 1048576.0, double(r.bytes_out) / 1048576.0);
    return 0;
}

}  // namespace cli
