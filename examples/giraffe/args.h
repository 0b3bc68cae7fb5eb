// Command-line flags of the giraffe commands, llama.cpp-style where a flag exists there. Each command
// declares the flags it takes once, in a table (commands.cpp) that both the parser and --help read, so
// its help lists exactly what it accepts and anything else is an error naming the flag and the command.
#pragma once
#include <climits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model.h"
#include "sampler.h"
#include "session.h"

namespace cli {

struct Args {
    bool help = false;         // -h / --help: print the command's help instead of running it
    std::string model;         // -m
    std::string prompt;        // -p
    std::string file;          // -f
    std::string output;        // -o
    int n_predict = 128;       // -n
    int n_ctx = 0;             // -c
    int n_threads = 0;         // -t
    int n_ubatch = 512;        // --ubatch / -ub
    // bench: one pp test per prompt length and one tg test per generation length, at each depth.
    std::vector<int> bench_prompt{512}, bench_gen{128}, bench_depth{0};  // -p, -n, -d
    int reps = 5;              // bench -r
    int n_chunks = 0;          // perplexity --chunks (0: all)
    int n_keep = 4;            // run/chat --keep: tokens a context shift keeps (the attention sinks)
    std::string lengths, depths;  // niah --lengths 1k,2k --depths 0,50,100 (empty: the defaults)
    bool json = false;
    bool no_bos = false;
    bool parse_special = false;
    bool all_tensors = false;  // info --tensors
    bool no_repack = false;    // --no-repack: keep the weights in the file's layout
    std::string chat_template;
    std::string system_prompt;
    std::string kv_type = "f16";      // --cache-type: keys and values
    std::string kv_type_k, kv_type_v;  // -ctk / -ctv: one of them (empty: kv_type)
    std::string device = "cpu";  // --device cpu|vulkan[:N]|cuda[:N]
    std::string flash_attn = "auto";  // -fa on|off|auto
    int n_gpu_layers = -1;       // -ngl N: the last N layers on the GPU (-1: all)
    giraffe::SamplerParams sampling;
    std::optional<std::string> rope_scaling;
    std::optional<float> rope_scale, rope_freq_base, yarn_attn_factor, yarn_beta_fast, yarn_beta_slow;
    std::optional<int> yarn_orig_ctx;
    // serve: where to listen, how many requests at once and what a request may take.
    std::string host = "127.0.0.1";  // --host
    int port = 8080;                 // --port (0: any free port, printed)
    int n_parallel = 4;              // --parallel / -np: slots (sequences decoded together); -c is split among them
    int n_queue = 64;                // --queue: requests waiting for a slot at most (then 503)
    float timeout_s = 600;           // --timeout: seconds a request may take from arrival
    int max_body = 1 << 20;          // --max-body: bytes of a request body at most (then 413)
    std::string api_key;             // --api-key (or GIRAFFE_API_KEY): Bearer key for all but /health
    std::string alias;               // --alias / -a: the model's name in the API (default: the file's)
    std::vector<std::string> positional;
    // gen-model: the shape of a random model (0 / empty: the preset's)
    std::string preset, arch, type;
    int n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, n_ff = 0, n_vocab = 0, head_dim = 0, sliding_window = 0;
};

// A flag's value as given, with parsers whose one-line errors name the flag and the value.
class Value {
public:
    Value(std::string flag, std::string text) : flag_(std::move(flag)), text_(std::move(text)) {}
    const std::string& text() const { return text_; }
    // The whole value as an integer in [min, max]: no trailing characters, no overflow.
    long long whole(long long min, long long max) const;
    int integer(int min = INT_MIN, int max = INT_MAX) const { return int(whole(min, max)); }
    // A comma-separated list of integers in [min, max] ("128,512").
    std::vector<int> integers(int min = INT_MIN, int max = INT_MAX) const;
    float number() const;  // a finite float, nothing after it

private:
    long long parse_whole(const std::string& item, long long min, long long max) const;
    std::string flag_, text_;
};

// One flag: its names (aliases), the placeholder of its value in help (empty for a switch), its line of
// help, and what it sets.
struct Flag {
    std::vector<std::string> names;
    std::string value;
    std::string help;
    void (*set)(Args& a, const Value& v);
};

// Flags under one heading of a command's help.
struct FlagGroup {
    std::string title;
    std::vector<Flag> flags;
};

struct Command {
    Command(std::string name_, int (*run_)(const Args&), std::string usage_, std::string summary_,
            std::vector<FlagGroup> groups_, int max_operands_ = 0, std::string details_ = "")
        : name(std::move(name_)), run(run_), usage(std::move(usage_)), summary(std::move(summary_)),
          groups(std::move(groups_)), max_operands(max_operands_), details(std::move(details_)) {}

    std::string name;
    int (*run)(const Args& a);
    std::string usage;    // what follows "giraffe NAME" in the usage line
    std::string summary;  // one line for `giraffe --help`
    std::vector<FlagGroup> groups;
    int max_operands;     // arguments that are not flags (quantize: IN OUT TYPE)
    std::string details;  // more for --help, after the flags
};

// Parses argv[first..] against the command's flags; throws std::invalid_argument with one line naming a
// flag the command does not take, a missing value or a bad one. Stops at -h / --help (Args::help).
Args parse_args(const Command& c, int argc, char** argv, int first);
// The command's --help text: usage, summary, then its flags group by group.
std::string command_help(const Command& c);
// Session parameters from the flags (context, threads, micro-batch, KV types, RoPE overrides).
giraffe::SessionParams session_params(const Args& a, const giraffe::HParams& hp);
// The prompt from -p or -f (a file's contents); throws when neither is given and required.
std::string prompt_text(const Args& a, bool required);
void require_model(const Args& a);
// Model loading options from the flags (-t, --no-repack, --device, -ngl).
giraffe::Model::Options model_options(const Args& a);

}  // namespace cli
