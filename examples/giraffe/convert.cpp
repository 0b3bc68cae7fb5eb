// giraffe convert HF_DIR -o OUT.gguf [--type auto|f32|f16|bf16|q8_0|q4_k_m|...] [-t N]: a Hugging Face
// checkpoint folder to GGUF (convert/convert.h). A progress bar on a terminal, one line per tensor when
// stderr is piped.
#include <cstdio>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include "commands.h"
#include "convert/convert.h"
#include "quantize.h"

namespace cli {
namespace {


void print_progress(const giraffe::convert::ConvertProgress& p, bool tty) {
    const double mib = 1.0 / 1048576.0;
    if (!tty) {
        std::fprintf(stderr, "[%4d/%4d] %-36s %-6s %9.2f MiB\n", p.index, p.count, p.name->c_str(),
                     ggml::type_name(p.type), double(p.bytes) * mib);
        return;
    }
    const int width = 30;
    const double f = p.bytes_total ? double(p.bytes_done) / double(p.bytes_total) : 1.0;
    const int fill = int(f * width);
    std::fprintf(stderr, "\r[%s%s] %3d%% %4d/%d %-32.32s %-6s\033[K", std::string(size_t(fill), '#').c_str(),
                 std::string(size_t(width - fill), '.').c_str(), int(f * 100), p.index, p.count, p.name->c_str(),
                 ggml::type_name(p.type));
}

}  // namespace

int cmd_convert(const Args& a) {
    if (a.positional.size() != 1 || a.output.empty())
        throw std::invalid_argument("usage: giraffe convert HF_DIR -o OUT.gguf [--type auto|f32|f16|bf16|q8_0|" +
                                    std::string("q4_k_m|...] [-t N] (--type: auto or one of ") +
                                    giraffe::quantize_targets() + ")");
    const bool tty = isatty(STDERR_FILENO);
    giraffe::convert::ConvertOptions o;
    o.type = a.type.empty() ? "auto" : a.type;
    o.n_threads = a.n_threads;
    o.warn = [tty](const std::string& w) { std::fprintf(stderr, "%swarning: %s\n", tty ? "\r\033[K" : "", w.c_str()); };
    o.progress = [tty](const giraffe::convert::ConvertProgress& p) { print_progress(p, tty); };
    remove_on_interrupt(a.output + ".tmp");
    const giraffe::convert::ConvertResult r = giraffe::convert::convert_checkpoint(a.positional[0], a.output, o);
    remove_on_interrupt("");
    std::fprintf(stderr, "%s%s: %s (%s), %d tensors, %s, %.1f MiB\n", tty ? "\r\033[K" : "", a.output.c_str(),
                 r.arch.c_str(), r.hf_architecture.c_str(), r.n_tensors, r.type.c_str(), double(r.bytes) / 1048576.0);
    return 0;
}

}  // namespace cli
