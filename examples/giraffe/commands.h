// The giraffe subcommands, one file each.
#pragma once
#include <string>

#include "args.h"

namespace cli {

int cmd_run(const Args& a);
int cmd_chat(const Args& a);
int cmd_tokenize(const Args& a);
int cmd_perplexity(const Args& a);
int cmd_niah(const Args& a);
int cmd_bench(const Args& a);
int cmd_info(const Args& a);
int cmd_gen_model(const Args& a);
int cmd_quantize(const Args& a);
int cmd_convert(const Args& a);
int cmd_serve(const Args& a);

// Removes path (a writer's temporary file) if SIGINT or SIGTERM ends the program; "" stops watching.
void remove_on_interrupt(const std::string& path);

}  // namespace cli
