// giraffe: run long-context language models from GGUF files.
#include <cstdio>
#include <exception>
#include <string>

#include "commands.h"

namespace {

void overview(std::FILE* out) {
    std::fprintf(out, "usage: giraffe COMMAND [flags]\n\ncommands:\n");
    for (const cli::Command& c : cli::commands()) std::fprintf(out, "  %-11s %s\n", c.name.c_str(), c.summary.c_str());
    std::fprintf(out, "\n'giraffe COMMAND --help' (or 'giraffe help COMMAND') lists the flags of a command.\n");
}

int fail(const std::string& message) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return 1;
}

int run_command(const cli::Command& c, int argc, char** argv) {
    try {
        const cli::Args a = cli::parse_args(c, argc, argv, 2);
        if (a.help) {
            std::fputs(cli::command_help(c).c_str(), stdout);
            return 0;
        }
        return c.run(a);
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        overview(stderr);
        return 1;
    }
    const std::string first = argv[1];
    if (first == "-h" || first == "--help" || (first == "help" && argc == 2)) {
        overview(stdout);
        return 0;
    }
    if (first == "help") {
        const cli::Command* c = cli::find_command(argv[2]);
        if (!c) return fail("unknown command '" + std::string(argv[2]) + "' (run 'giraffe --help')");
        std::fputs(cli::command_help(*c).c_str(), stdout);
        return 0;
    }
    const cli::Command* c = cli::find_command(first);
    if (!c) return fail("unknown command '" + first + "' (run 'giraffe --help')");
    return run_command(*c, argc, argv);
}
