// Command-line flags shared by the giraffe subcommands, llama.cpp-style where a flag exists there.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "model.h"
#include "sampler.h"
#include "session.h"

namespace cli {

struct Args {
    std::string model;         // -m
    std::string prompt;        // -p (bench: the prompt length in tokens)
    std::string file;          // -f
    std::string output;        // -o
    int n_predict = 128;       // -n
    int n_ctx = 0;             // -c
    int n_threads = 0;         // -t
    int n_batch = 2048;        // -b
    int n_ubatch = 512;        // --ubatch / -ub
    int depth = 0;             // bench -d
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
    std::string device = "cpu";  // --device cpu|vulkan[:N]
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

// Parses argv[first..]; throws std::invalid_argument naming a bad or unknown flag.
Args parse_args(int argc, char** argv, int first);
// Session parameters from the flags (context, threads, micro-batch, KV types, RoPE overrides).
giraffe::SessionParams session_params(const Args& a, const giraffe::HParams& hp);
// The prompt from -p or -f (a file's contents); throws when neither is given and required.
std::string prompt_text(const Args& a, bool required);
void require_model(const Args& a);
// Model loading options from the flags (-t, --no-repack, --device, -ngl).
giraffe::Model::Options model_options(const Args& a);

}  // namespace cli
