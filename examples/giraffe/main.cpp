// giraffe: run long-context language models from GGUF files.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "commands.h"

namespace {

struct Command {
    const char* name;
    int (*run)(const cli::Args&);
    const char* help;
};

const Command kCommands[] = {
    {"run", cli::cmd_run, "generate a continuation of a prompt: -m MODEL -p TEXT [-n N] [--temp T] ..."},
    {"chat", cli::cmd_chat, "talk to a model with its chat template: -m MODEL [--chat-template NAME]"},
    {"tokenize", cli::cmd_tokenize, "print the token ids of a text: -m MODEL -p TEXT [--no-bos] [--parse-special]"},
    {"perplexity", cli::cmd_perplexity, "perplexity of a text file: -m MODEL -f FILE -c N [--chunks N]"},
    {"niah", cli::cmd_niah, "needle in a haystack, CSV + heatmap PNG: -m MODEL [--lengths 1k,2k] [--depths 0,50,100] [-o DIR]"},
    {"bench", cli::cmd_bench, "prompt and generation speed: -m MODEL [-p 512] [-n 128] [-d DEPTH] [-r REPS] [--json]"},
    {"info", cli::cmd_info, "describe a model and the memory it needs: -m MODEL [-c N] [--tensors]; no -m: list devices"},
    {"convert", cli::cmd_convert, "Hugging Face checkpoint to GGUF: HF_DIR -o OUT.gguf [--type auto|f16|bf16|q8_0|q4_k_m|...] [-t N]"},
    {"quantize", cli::cmd_quantize, "quantize a model: IN.gguf OUT.gguf TYPE (Q4_0, Q8_0, Q6_K, Q4_K_M, ...) [-t N]"},
    {"serve", cli::cmd_serve, "OpenAI-compatible HTTP server: -m MODEL [--host H] [--port 8080] [--parallel 4] [-c N] [--api-key K]"},
    {"gen-model", cli::cmd_gen_model, "write a random-weight model: -o OUT.gguf [--preset tinyllama] [arch/shape options]"},
};

void usage() {
    std::fprintf(stderr, "usage: giraffe COMMAND [flags]\n\ncommands:\n");
    for (const Command& c : kCommands) std::fprintf(stderr, "  %-11s %s\n", c.name, c.help);
    std::fprintf(stderr,
                 "\ncommon flags: -m MODEL -p TEXT -f FILE -n N -c N -t N -b N --ubatch N --temp T --top-k K\n"
                 "  --top-p P --min-p P --repeat-penalty X --seed S --cache-type f16|bf16|f32\n"
                 "  --device cpu|vulkan[:N] -ngl N (the last N layers and the output on the GPU; default all)\n"
                 "  --flash-attn on|off|auto (fused attention; auto: on the GPU's layers)\n"
                 "  --rope-scaling none|linear|ntk|dynamic|yarn|llama3|longrope --rope-scale S --rope-freq-base B\n"
                 "  --yarn-orig-ctx N --yarn-beta-fast X --yarn-beta-slow X --yarn-attn-factor X\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
        usage();
        return argc < 2 ? 1 : 0;
    }
    for (const Command& c : kCommands) {
        if (std::strcmp(argv[1], c.name) != 0) continue;
        try {
            return c.run(cli::parse_args(argc, argv, 2));
        } catch (const std::exception& e) {
            std::fflush(stdout);
            std::fprintf(stderr, "error: %s\n", e.what());
            return 1;
        }
    }
    std::fprintf(stderr, "error: unknown command '%s' (run 'giraffe --help')\n", argv[1]);
    return 1;
}
