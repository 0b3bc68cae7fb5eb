// The giraffe subcommands, one file each, and the table that names them with their flags (commands.cpp).
#pragma once
#include <string>
#include <vector>

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

// Every command with its usage and flags, in the order `giraffe --help` lists them.
const std::vector<Command>& commands();
const Command* find_command(const std::string& name);  // nullptr when there is none

// Removes path (a writer's temporary file) if SIGINT or SIGTERM ends the program; "" stops watching.
void remove_on_interrupt(const std::string& path);

}  // namespace cli
