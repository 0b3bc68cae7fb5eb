// Ctrl-C or a kill while a command writes its output: the writer's temporary file is removed, so an
// interrupted run leaves nothing behind (the writers rename it into place only when complete).
#include <csignal>
#include <string>

#include <unistd.h>

#include "commands.h"

namespace cli {
namespace {

std::string g_tmp;

void on_signal(int sig) {
    if (!g_tmp.empty()) unlink(g_tmp.c_str());
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

}  // namespace

void remove_on_interrupt(const std::string& path) {
    g_tmp = path;
    std::signal(SIGINT, path.empty() ? SIG_DFL : on_signal);
    std::signal(SIGTERM, path.empty() ? SIG_DFL : on_signal);
}

}  // namespace cli
