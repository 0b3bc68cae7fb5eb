// giraffe gen-model: random-weight models of any shape, for tests and benchmarks.
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "commands.h"
#include "model_gen.h"
#include "progress.h"

namespace cli {

int cmd_gen_model(const Args& a) {
    if (a.output.empty()) throw std::invalid_argument("gen-model needs an output file: -o OUT.gguf");
    giraffe::ModelShape s;
    if (a.preset.empty() || a.preset == "tinyllama") {
        s = giraffe::tinyllama_shape();
    } else if (a.preset == "tiny") {  // seconds to write, for tests
        s.n_vocab = 512, s.n_embd = 64, s.n_layer = 2, s.n_head = 4, s.n_head_kv = 2, s.n_ff = 128, s.n_ctx = 1024;
    } else {
        throw std::invalid_argument("unknown preset '" + a.preset + "' (tinyllama, tiny)");
    }
    if (!a.arch.empty()) s.arch = a.arch;
    if (!a.type.empty() && !ggml::type_from_name(a.type, &s.type)) throw std::invalid_argument("unknown type '" + a.type + "'");
    auto set = [](int v, int& field) { if (v > 0) field = v; };
    set(a.n_embd, s.n_embd), set(a.n_layer, s.n_layer), set(a.n_head, s.n_head), set(a.n_head_kv, s.n_head_kv);
    set(a.n_ff, s.n_ff), set(a.n_vocab, s.n_vocab), set(a.head_dim, s.head_dim), set(a.sliding_window, s.sliding_window);
    set(a.n_ctx, s.n_ctx);
    if (a.sampling.seed != 0xFFFFFFFF) s.seed = a.sampling.seed;
    std::unique_ptr<Progress> bar;  // made at the first report, which tells the size
    giraffe::write_random_model(a.output, s, [&](size_t done, size_t total) {
        constexpr double MiB = 1048576.0;
        if (!bar) bar = std::make_unique<Progress>(int(std::ceil(double(total) / MiB)));
        bar->update(int(std::ceil(double(done) / MiB)), "MiB written", total ? double(done) / double(total) : 1.0);
    });
    if (bar) bar->finish();
    std::fprintf(stderr, "%s: %s, %d layers, dim %d, %s weights\n", a.output.c_str(), s.arch.c_str(), s.n_layer,
                 s.n_embd, ggml::type_name(s.type));
    return 0;
}

}  // namespace cli
