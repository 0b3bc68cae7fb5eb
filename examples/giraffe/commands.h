// The giraffe subcommands, one file each.
#pragma once
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

}  // namespace cli
