// The table of giraffe commands: each with its usage and the flags it takes. The parser and --help both
// read it, so a command's help lists exactly the flags it accepts. A flag shared by several commands is
// written once, in a group below; one whose meaning differs per command (bench's -p is a list of prompt
// lengths, run's a prompt) is written in that command's own group.
#include <utility>

#include "commands.h"
#include "quantize.h"

namespace cli {
namespace {

const Flag kModel = {{"-m", "--model"}, "FILE", "the model, a GGUF file",
                     [](Args& a, const Value& v) { a.model = v.text(); }};
const Flag kPrompt = {{"-p", "--prompt"}, "TEXT", "the prompt",
                      [](Args& a, const Value& v) { a.prompt = v.text(); }};
const Flag kPromptFile = {{"-f", "--file"}, "FILE", "read the prompt from a file",
                          [](Args& a, const Value& v) { a.file = v.text(); }};
const Flag kNoBos = {{"--no-bos"}, "", "do not start with the BOS token", [](Args& a, const Value&) { a.no_bos = true; }};
const Flag kParseSpecial = {{"--parse-special"}, "", "read special tokens (<|im_start|>, ...) in the text as such",
                            [](Args& a, const Value&) { a.parse_special = true; }};
const Flag kKeep = {{"--keep"}, "N", "tokens a context shift keeps at the start, the attention sinks (default 4)",
                    [](Args& a, const Value& v) { a.n_keep = v.integer(0); }};
const Flag kChatTemplate = {{"--chat-template"}, "NAME", "gemma, llama3, chatml or mistral (default: the file's)",
                            [](Args& a, const Value& v) { a.chat_template = v.text(); }};
const Flag kThreads = {{"-t", "--threads"}, "N", "CPU threads (default: one per core)",
                       [](Args& a, const Value& v) { a.n_threads = v.integer(0); }};

// Where and how the model's weights are loaded (model_options).
FlagGroup loading() {
    return {"model and devices",
            {kModel,
             kThreads,
             {{"--device", "-dev"}, "DEV", "cpu (default), vulkan[:N] or cuda[:N]; giraffe info lists them",
              [](Args& a, const Value& v) { a.device = v.text(); }},
             {{"-ngl", "--n-gpu-layers", "--gpu-layers"}, "N", "the last N layers and the output on the GPU (default -1: all)",
              [](Args& a, const Value& v) { a.n_gpu_layers = v.integer(-1); }},
             {{"--no-repack"}, "", "keep the weights in the file's layout (no interleaving for the CPU kernels)",
              [](Args& a, const Value&) { a.no_repack = true; }}}};
}

// The session's context and KV cache (session_params). ctx_help: what -c means for the command.
FlagGroup context(std::string ctx_help) {
    return {"context and KV cache",
            {{{"-c", "--ctx-size"}, "N", std::move(ctx_help), [](Args& a, const Value& v) { a.n_ctx = v.integer(0); }},
             {{"-ub", "--ubatch", "--ubatch-size"}, "N",
              "tokens a prompt is decoded in at a time (default 512); no -b: a whole prompt is one batch",
              [](Args& a, const Value& v) { a.n_ubatch = v.integer(1); }},
             {{"--cache-type"}, "TYPE", "KV cache type: f16 (default), bf16, f32, q8_0, q4_0, q4_1, q5_0, q5_1",
              [](Args& a, const Value& v) { a.kv_type = v.text(); }},
             {{"-ctk", "--cache-type-k"}, "TYPE", "the keys' cache type (default: --cache-type)",
              [](Args& a, const Value& v) { a.kv_type_k = v.text(); }},
             {{"-ctv", "--cache-type-v"}, "TYPE", "the values' cache type (default: --cache-type)",
              [](Args& a, const Value& v) { a.kv_type_v = v.text(); }},
             {{"-fa", "--flash-attn"}, "on|off|auto", "fused attention, no scores matrix in memory (default auto: on)",
              [](Args& a, const Value& v) { a.flash_attn = v.text(); }}}};
}

// Context extension: overrides of the file's RoPE scaling (session_params, LONG_CONTEXT.md).
FlagGroup rope() {
    return {"RoPE scaling (context extension)",
            {{{"--rope-scaling"}, "METHOD", "none, linear, ntk, dynamic, yarn, llama3 or longrope (default: the file's)",
              [](Args& a, const Value& v) { a.rope_scaling = v.text(); }},
             {{"--rope-scale"}, "S", "context extension factor", [](Args& a, const Value& v) { a.rope_scale = v.number(); }},
             {{"--rope-freq-base"}, "B", "RoPE base frequency of the full-attention layers",
              [](Args& a, const Value& v) { a.rope_freq_base = v.number(); }},
             {{"--yarn-orig-ctx"}, "N", "YaRN: the context the model was trained for",
              [](Args& a, const Value& v) { a.yarn_orig_ctx = v.integer(1); }},
             {{"--yarn-beta-fast"}, "X", "YaRN: low correction dimension",
              [](Args& a, const Value& v) { a.yarn_beta_fast = v.number(); }},
             {{"--yarn-beta-slow"}, "X", "YaRN: high correction dimension",
              [](Args& a, const Value& v) { a.yarn_beta_slow = v.number(); }},
             {{"--yarn-attn-factor"}, "X", "YaRN: attention magnitude scale",
              [](Args& a, const Value& v) { a.yarn_attn_factor = v.number(); }}}};
}

const Flag kSeed = {{"-s", "--seed"}, "N", "random seed (default -1: a fresh one each run)",
                    [](Args& a, const Value& v) { a.sampling.seed = uint64_t(uint32_t(v.whole(-1, 0xFFFFFFFFLL))); }};

FlagGroup sampling(std::string title) {
    return {std::move(title),
            {{{"--temp"}, "T", "temperature; 0: greedy (default 0.8)",
              [](Args& a, const Value& v) { a.sampling.temp = v.number(); }},
             {{"--top-k"}, "K", "keep the K likeliest tokens; 0: off (default 40)",
              [](Args& a, const Value& v) { a.sampling.top_k = v.integer(); }},
             {{"--top-p"}, "P", "keep the likeliest tokens up to probability P; 1: off (default 0.95)",
              [](Args& a, const Value& v) { a.sampling.top_p = v.number(); }},
             {{"--min-p"}, "P", "drop tokens under P times the likeliest's probability; 0: off (default 0.05)",
              [](Args& a, const Value& v) { a.sampling.min_p = v.number(); }},
             {{"--repeat-penalty"}, "X", "penalty of recent tokens; 1: off (default)",
              [](Args& a, const Value& v) { a.sampling.repeat_penalty = v.number(); }},
             {{"--repeat-last-n"}, "N", "recent tokens the penalty looks at (default 64)",
              [](Args& a, const Value& v) { a.sampling.repeat_last_n = v.integer(0); }},
             kSeed}};
}

Command run() {
    return {"run", cmd_run, "-m FILE (-p TEXT | -f FILE) [flags]",
            "Generate a continuation of a prompt, streaming it to stdout.",
            {{"run",
              {kPrompt, kPromptFile,
               {{"-n", "--n-predict"}, "N", "tokens to generate at most (default 128)",
                [](Args& a, const Value& v) { a.n_predict = v.integer(0); }},
               kKeep, kNoBos, kParseSpecial}},
             loading(), context("context length in tokens (default: the model's, at most 4096)"), rope(),
             sampling("sampling")}};
}

Command chat() {
    return {"chat", cmd_chat, "-m FILE [flags]",
            "Talk to a model in its chat template; an empty line quits.",
            {{"chat",
              {kChatTemplate,
               {{"-sys", "--system"}, "TEXT", "a system message first",
                [](Args& a, const Value& v) { a.system_prompt = v.text(); }},
               {{"-n", "--n-predict"}, "N", "tokens of a reply at most (default 128; 0: until the end of the turn)",
                [](Args& a, const Value& v) { a.n_predict = v.integer(0); }},
               kKeep}},
             loading(), context("context length in tokens (default: the model's, at most 4096)"), rope(),
             sampling("sampling")}};
}

Command tokenize() {
    return {"tokenize", cmd_tokenize, "-m FILE (-p TEXT | -f FILE) [flags]",
            "Print the token ids of a text (vocab-only GGUF files do).",
            {{"tokenize", {kModel, kPrompt, kPromptFile, kNoBos, kParseSpecial}}}};
}

Command perplexity() {
    return {"perplexity", cmd_perplexity, "-m FILE -f TEXT_FILE [flags]",
            "Perplexity of a text file, in chunks of -c tokens.",
            {{"perplexity",
              {{{"-f", "--file"}, "FILE", "the text to score", [](Args& a, const Value& v) { a.file = v.text(); }},
               {{"--chunks"}, "N", "score the first N chunks only (default 0: all)",
                [](Args& a, const Value& v) { a.n_chunks = v.integer(0); }}}},
             loading(), context("tokens per chunk (default 512)"), rope()}};
}

Command niah() {
    return {"niah", cmd_niah, "-m FILE [flags]",
            "Needle in a haystack: recall of a number hidden at each depth of each length.",
            {{"niah",
              {{{"--lengths"}, "LIST", "prompt lengths in tokens, k = 1024 (default 1k,2k,4k,8k)",
                [](Args& a, const Value& v) { a.lengths = v.text(); }},
               {{"--depths"}, "LIST", "needle depths in percent of the haystack (default 0,25,50,75,100)",
                [](Args& a, const Value& v) { a.depths = v.text(); }},
               {{"-o"}, "DIR", "where niah.csv and niah.png go (default .)",
                [](Args& a, const Value& v) { a.output = v.text(); }},
               kChatTemplate,
               {{"-s", "--seed"}, "N", "seed of the filler text and the needles (default -1)", kSeed.set}}},
             loading(), context("context length (default: the longest length and the answer)"), rope()}};
}

Command bench() {
    return {"bench", cmd_bench, "-m FILE [flags]",
            "Prompt processing (pp) and generation (tg) speed, and the memory-bandwidth floor.",
            {{"bench",
              {{{"-p", "--n-prompt"}, "N[,N...]", "prompt lengths, one pp test each (default 512; 0: none)",
                [](Args& a, const Value& v) { a.bench_prompt = v.integers(0); }},
               {{"-n", "--n-gen"}, "N[,N...]", "generation lengths, one tg test each (default 128; 0: none)",
                [](Args& a, const Value& v) { a.bench_gen = v.integers(0); }},
               {{"-d", "--n-depth"}, "N[,N...]", "tokens already in the cache when a test starts (default 0)",
                [](Args& a, const Value& v) { a.bench_depth = v.integers(0); }},
               {{"-r", "--repetitions"}, "N", "timed runs of each test, after a warm-up (default 5)",
                [](Args& a, const Value& v) { a.reps = v.integer(1); }},
               {{"--json"}, "", "one JSON object a line", [](Args& a, const Value&) { a.json = true; }}}},
             loading(), context("context length (default: what the largest test needs)")}};
}

Command info() {
    return {"info", cmd_info, "[-m FILE] [flags]",
            "Describe a model and its KV cache's memory; without -m, list the devices.",
            {{"info",
              {kModel, {{"--tensors"}, "", "list every tensor", [](Args& a, const Value&) { a.all_tensors = true; }}}},
             context("context length the KV cache is sized for (default: the model's training context)")}};
}

Command convert() {
    return {"convert", cmd_convert, "HF_DIR -o OUT.gguf [flags]",
            "Convert a Hugging Face checkpoint folder (config.json, safetensors) to GGUF.",
            {{"convert",
              {{{"-o"}, "FILE", "the GGUF file to write", [](Args& a, const Value& v) { a.output = v.text(); }},
               {{"--type"}, "TYPE",
                "auto (default: BF16 for a BF16 checkpoint, else F16), f32, f16, bf16, or a target of giraffe quantize",
                [](Args& a, const Value& v) { a.type = v.text(); }},
               kThreads}}},
            1};
}

Command quantize() {
    return {"quantize", cmd_quantize, "IN.gguf OUT.gguf TYPE [flags]",
            "Write a quantized copy of a model, all metadata kept.",
            {{"quantize", {kThreads}}},
            3,
            "TYPE: " + giraffe::quantize_targets() + "."};
}

Command serve() {
    return {"serve", cmd_serve, "-m FILE [flags]",
            "OpenAI-compatible HTTP server with continuous batching.",
            {{"serve",
              {{{"--host"}, "HOST", "address to listen on (default 127.0.0.1)",
                [](Args& a, const Value& v) { a.host = v.text(); }},
               {{"--port"}, "N", "port (default 8080; 0: any free one, printed)",
                [](Args& a, const Value& v) { a.port = v.integer(0, 65535); }},
               {{"-np", "--parallel"}, "N", "requests decoded together, each in a slot (default 4)",
                [](Args& a, const Value& v) { a.n_parallel = v.integer(1, 256); }},
               {{"--queue"}, "N", "requests waiting for a slot at most, then 503 (default 64)",
                [](Args& a, const Value& v) { a.n_queue = v.integer(0); }},
               {{"-to", "--timeout"}, "S", "seconds a request may take from its arrival (default 600)",
                [](Args& a, const Value& v) { a.timeout_s = v.number(); }},
               {{"--max-body"}, "BYTES", "largest request body, then 413 (default 1048576)",
                [](Args& a, const Value& v) { a.max_body = v.integer(1); }},
               {{"--api-key"}, "KEY", "Bearer key every route but /health asks for (or GIRAFFE_API_KEY)",
                [](Args& a, const Value& v) { a.api_key = v.text(); }},
               {{"-a", "--alias"}, "NAME", "the model's name in the API (default: the file's name)",
                [](Args& a, const Value& v) { a.alias = v.text(); }},
               kChatTemplate}},
             loading(),
             context("total context, split evenly among the slots (default: each slot the model's, at most 4096)"),
             rope(), sampling("sampling (defaults for requests that do not set them)")}};
}

// A gen-model shape flag: 0 keeps the preset's value.
Flag shape(const char* name, const char* help, void (*set)(Args&, const Value&)) { return {{name}, "N", help, set}; }

Command gen_model() {
    return {"gen-model", cmd_gen_model, "-o OUT.gguf [flags]",
            "Write a model with random weights, of any shape, for tests and benchmarks.",
            {{"gen-model",
              {{{"-o"}, "FILE", "the GGUF file to write", [](Args& a, const Value& v) { a.output = v.text(); }},
               {{"--preset"}, "NAME", "tinyllama (default; TinyLlama 1.1B's shape) or tiny (seconds to write)",
                [](Args& a, const Value& v) { a.preset = v.text(); }},
               {{"--arch"}, "ARCH", "llama (default), qwen2, gemma3 or phi3",
                [](Args& a, const Value& v) { a.arch = v.text(); }},
               {{"--type"}, "TYPE", "type of the weight matrices (default f16)",
                [](Args& a, const Value& v) { a.type = v.text(); }},
               {{"-s", "--seed"}, "N", "seed of the weights (default 1)", kSeed.set}}},
             {"shape (default: the preset's)",
              {shape("--n-embd", "embedding width", [](Args& a, const Value& v) { a.n_embd = v.integer(0); }),
               shape("--n-layer", "layers", [](Args& a, const Value& v) { a.n_layer = v.integer(0); }),
               shape("--n-head", "query heads", [](Args& a, const Value& v) { a.n_head = v.integer(0); }),
               shape("--n-head-kv", "key/value heads", [](Args& a, const Value& v) { a.n_head_kv = v.integer(0); }),
               shape("--n-ff", "feed-forward width", [](Args& a, const Value& v) { a.n_ff = v.integer(0); }),
               shape("--n-vocab", "vocabulary size", [](Args& a, const Value& v) { a.n_vocab = v.integer(0); }),
               shape("--head-dim", "head dimension (default: embedding width / heads)",
                     [](Args& a, const Value& v) { a.head_dim = v.integer(0); }),
               shape("--sliding-window", "sliding attention window",
                     [](Args& a, const Value& v) { a.sliding_window = v.integer(0); }),
               {{"-c", "--ctx-size"}, "N", "training context", [](Args& a, const Value& v) { a.n_ctx = v.integer(0); }}}}}};
}

}  // namespace

const std::vector<Command>& commands() {
    static const std::vector<Command> all = {run(),   chat(),    tokenize(), perplexity(), niah(),     bench(),
                                             info(),  convert(), quantize(), serve(),      gen_model()};
    return all;
}

const Command* find_command(const std::string& name) {
    for (const Command& c : commands())
        if (c.name == name) return &c;
    return nullptr;
}

}  // namespace cli
