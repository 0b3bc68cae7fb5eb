#include "args.h"

#include "backends/registry.h"

#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

namespace cli {
namespace {

int to_int(const std::string& flag, const std::string& v) {
    try {
        size_t used = 0;
        const long long x = std::stoll(v, &used);
        if (used != v.size() || x < -2147483647LL || x > 2147483647LL) throw std::invalid_argument("");
        return int(x);
    } catch (const std::exception&) {
        throw std::invalid_argument(flag + " expects an integer, got '" + v + "'");
    }
}

float to_float(const std::string& flag, const std::string& v) {
    try {
        size_t used = 0;
        const float x = std::stof(v, &used);
        if (used != v.size()) throw std::invalid_argument("");
        return x;
    } catch (const std::exception&) {
        throw std::invalid_argument(flag + " expects a number, got '" + v + "'");
    }
}

}  // namespace

Args parse_args(int argc, char** argv, int first) {
    Args a;
    using Setter = std::function<void(const std::string& flag, const std::string& v)>;
    const std::map<std::string, Setter> with_value = {
        {"-m", [&](auto&, auto& v) { a.model = v; }},
        {"--model", [&](auto&, auto& v) { a.model = v; }},
        {"-p", [&](auto&, auto& v) { a.prompt = v; }},
        {"--prompt", [&](auto&, auto& v) { a.prompt = v; }},
        {"-f", [&](auto&, auto& v) { a.file = v; }},
        {"--file", [&](auto&, auto& v) { a.file = v; }},
        {"-o", [&](auto&, auto& v) { a.output = v; }},
        {"-n", [&](auto& f, auto& v) { a.n_predict = to_int(f, v); }},
        {"--n-predict", [&](auto& f, auto& v) { a.n_predict = to_int(f, v); }},
        {"-c", [&](auto& f, auto& v) { a.n_ctx = to_int(f, v); }},
        {"--ctx-size", [&](auto& f, auto& v) { a.n_ctx = to_int(f, v); }},
        {"-t", [&](auto& f, auto& v) { a.n_threads = to_int(f, v); }},
        {"--threads", [&](auto& f, auto& v) { a.n_threads = to_int(f, v); }},
        {"-b", [&](auto& f, auto& v) { a.n_batch = to_int(f, v); }},
        {"--batch-size", [&](auto& f, auto& v) { a.n_batch = to_int(f, v); }},
        {"-ub", [&](auto& f, auto& v) { a.n_ubatch = to_int(f, v); }},
        {"--ubatch", [&](auto& f, auto& v) { a.n_ubatch = to_int(f, v); }},
        {"--ubatch-size", [&](auto& f, auto& v) { a.n_ubatch = to_int(f, v); }},
        {"-d", [&](auto& f, auto& v) { a.depth = to_int(f, v); }},
        {"-r", [&](auto& f, auto& v) { a.reps = to_int(f, v); }},
        {"--chunks", [&](auto& f, auto& v) { a.n_chunks = to_int(f, v); }},
        {"--keep", [&](auto& f, auto& v) { a.n_keep = to_int(f, v); }},
        {"--lengths", [&](auto&, auto& v) { a.lengths = v; }},
        {"--depths", [&](auto&, auto& v) { a.depths = v; }},
        {"--temp", [&](auto& f, auto& v) { a.sampling.temp = to_float(f, v); }},
        {"--top-k", [&](auto& f, auto& v) { a.sampling.top_k = to_int(f, v); }},
        {"--top-p", [&](auto& f, auto& v) { a.sampling.top_p = to_float(f, v); }},
        {"--min-p", [&](auto& f, auto& v) { a.sampling.min_p = to_float(f, v); }},
        {"--repeat-penalty", [&](auto& f, auto& v) { a.sampling.repeat_penalty = to_float(f, v); }},
        {"--repeat-last-n", [&](auto& f, auto& v) { a.sampling.repeat_last_n = to_int(f, v); }},
        {"--seed", [&](auto& f, auto& v) { a.sampling.seed = uint64_t(uint32_t(to_int(f, v))); }},
        {"-s", [&](auto& f, auto& v) { a.sampling.seed = uint64_t(uint32_t(to_int(f, v))); }},
        {"--chat-template", [&](auto&, auto& v) { a.chat_template = v; }},
        {"--system", [&](auto&, auto& v) { a.system_prompt = v; }},
        {"-sys", [&](auto&, auto& v) { a.system_prompt = v; }},
        {"--cache-type", [&](auto&, auto& v) { a.kv_type = v; }},
        {"-ctk", [&](auto&, auto& v) { a.kv_type_k = v; }},
        {"--cache-type-k", [&](auto&, auto& v) { a.kv_type_k = v; }},
        {"-ctv", [&](auto&, auto& v) { a.kv_type_v = v; }},
        {"--cache-type-v", [&](auto&, auto& v) { a.kv_type_v = v; }},
        {"--rope-scaling", [&](auto&, auto& v) { a.rope_scaling = v; }},
        {"--rope-scale", [&](auto& f, auto& v) { a.rope_scale = to_float(f, v); }},
        {"--rope-freq-base", [&](auto& f, auto& v) { a.rope_freq_base = to_float(f, v); }},
        {"--yarn-orig-ctx", [&](auto& f, auto& v) { a.yarn_orig_ctx = to_int(f, v); }},
        {"--yarn-beta-fast", [&](auto& f, auto& v) { a.yarn_beta_fast = to_float(f, v); }},
        {"--yarn-beta-slow", [&](auto& f, auto& v) { a.yarn_beta_slow = to_float(f, v); }},
        {"--yarn-attn-factor", [&](auto& f, auto& v) { a.yarn_attn_factor = to_float(f, v); }},
        {"--device", [&](auto&, auto& v) { a.device = v; }},
        {"-fa", [&](auto&, auto& v) { a.flash_attn = v; }},
        {"--flash-attn", [&](auto&, auto& v) { a.flash_attn = v; }},
        {"-dev", [&](auto&, auto& v) { a.device = v; }},
        {"-ngl", [&](auto& f, auto& v) { a.n_gpu_layers = to_int(f, v); }},
        {"--n-gpu-layers", [&](auto& f, auto& v) { a.n_gpu_layers = to_int(f, v); }},
        {"--gpu-layers", [&](auto& f, auto& v) { a.n_gpu_layers = to_int(f, v); }},
        {"--host", [&](auto&, auto& v) { a.host = v; }},
        {"--port", [&](auto& f, auto& v) { a.port = to_int(f, v); }},
        {"-np", [&](auto& f, auto& v) { a.n_parallel = to_int(f, v); }},
        {"--parallel", [&](auto& f, auto& v) { a.n_parallel = to_int(f, v); }},
        {"--queue", [&](auto& f, auto& v) { a.n_queue = to_int(f, v); }},
        {"-to", [&](auto& f, auto& v) { a.timeout_s = to_float(f, v); }},
        {"--timeout", [&](auto& f, auto& v) { a.timeout_s = to_float(f, v); }},
        {"--max-body", [&](auto& f, auto& v) { a.max_body = to_int(f, v); }},
        {"--api-key", [&](auto&, auto& v) { a.api_key = v; }},
        {"-a", [&](auto&, auto& v) { a.alias = v; }},
        {"--alias", [&](auto&, auto& v) { a.alias = v; }},
        {"--preset", [&](auto&, auto& v) { a.preset = v; }},
        {"--arch", [&](auto&, auto& v) { a.arch = v; }},
        {"--type", [&](auto&, auto& v) { a.type = v; }},
        {"--n-embd", [&](auto& f, auto& v) { a.n_embd = to_int(f, v); }},
        {"--n-layer", [&](auto& f, auto& v) { a.n_layer = to_int(f, v); }},
        {"--n-head", [&](auto& f, auto& v) { a.n_head = to_int(f, v); }},
        {"--n-head-kv", [&](auto& f, auto& v) { a.n_head_kv = to_int(f, v); }},
        {"--n-ff", [&](auto& f, auto& v) { a.n_ff = to_int(f, v); }},
        {"--n-vocab", [&](auto& f, auto& v) { a.n_vocab = to_int(f, v); }},
        {"--head-dim", [&](auto& f, auto& v) { a.head_dim = to_int(f, v); }},
        {"--sliding-window", [&](auto& f, auto& v) { a.sliding_window = to_int(f, v); }},
    };
    const std::map<std::string, std::function<void()>> switches = {
        {"--json", [&] { a.json = true; }},
        {"--no-bos", [&] { a.no_bos = true; }},
        {"--parse-special", [&] { a.parse_special = true; }},
        {"--tensors", [&] { a.all_tensors = true; }},
        {"--no-repack", [&] { a.no_repack = true; }},
    };
    for (int i = first; i < argc; i++) {
        const std::string f = argv[i];
        if (auto s = switches.find(f); s != switches.end()) {
            s->second();
        } else if (auto w = with_value.find(f); w != with_value.end()) {
            if (i + 1 >= argc) throw std::invalid_argument(f + " needs a value");
            w->second(f, argv[++i]);
        } else if (!f.empty() && f[0] == '-' && f.size() > 1) {
            throw std::invalid_argument("unknown flag '" + f + "'");
        } else {
            a.positional.push_back(f);
        }
    }
    return a;
}

giraffe::SessionParams session_params(const Args& a, const giraffe::HParams& hp) {
    giraffe::SessionParams p;
    p.n_ctx = a.n_ctx;
    p.n_threads = a.n_threads;
    p.n_ubatch = a.n_ubatch;
    if (a.n_ctx < 0) throw std::invalid_argument("-c must not be negative");
    if (a.n_ubatch <= 0) throw std::invalid_argument("--ubatch must be positive");
    p.kv_type_k = giraffe::kv_cache_type(a.kv_type_k.empty() ? a.kv_type : a.kv_type_k,
                                         a.kv_type_k.empty() ? "--cache-type" : "--cache-type-k");
    p.kv_type_v = giraffe::kv_cache_type(a.kv_type_v.empty() ? a.kv_type : a.kv_type_v,
                                         a.kv_type_v.empty() ? "--cache-type" : "--cache-type-v");
    const bool yarn_flag = a.yarn_orig_ctx || a.yarn_beta_fast || a.yarn_beta_slow || a.yarn_attn_factor;
    if (a.rope_scaling || a.rope_scale || yarn_flag) {
        // Like llama.cpp: --rope-scaling names the method; without it a --yarn-* flag means YaRN, and
        // --rope-scale alone linear interpolation, unless the file names a method (which then takes the factor).
        using giraffe::RopeScalingType;
        giraffe::RopeScaling rs = hp.rope_scaling;
        if (a.rope_scaling) {
            if (!giraffe::rope_scaling_from_name(*a.rope_scaling, &rs.type))
                throw std::invalid_argument("--rope-scaling must be none, linear, ntk, dynamic, yarn, llama3 or longrope");
        } else if (yarn_flag) {
            rs.type = RopeScalingType::Yarn;
        } else if (rs.type == RopeScalingType::None) {
            rs.type = RopeScalingType::Linear;
        }
        if (rs.type != hp.rope_scaling.type) rs.attn_factor = 0;  // the file's belongs to its method
        if (a.rope_scale) {
            if (*a.rope_scale <= 0) throw std::invalid_argument("--rope-scale must be positive");
            rs.factor = *a.rope_scale;
        }
        if (a.yarn_orig_ctx) {
            if (*a.yarn_orig_ctx <= 0) throw std::invalid_argument("--yarn-orig-ctx must be positive");
            rs.orig_ctx = *a.yarn_orig_ctx;
        }
        if (a.yarn_beta_fast) rs.beta_fast = *a.yarn_beta_fast;
        if (a.yarn_beta_slow) rs.beta_slow = *a.yarn_beta_slow;
        if (a.yarn_attn_factor) {
            if (!(*a.yarn_attn_factor > 0)) throw std::invalid_argument("--yarn-attn-factor must be positive");
            rs.attn_factor = *a.yarn_attn_factor;
        }
        if (rs.type != giraffe::RopeScalingType::None && rs.factor == 1.0f && a.n_ctx > hp.n_ctx_train)
            rs.factor = float(a.n_ctx) / float(hp.n_ctx_train);
        p.rope_scaling = rs;
    }
    if (a.rope_freq_base) p.rope_base = *a.rope_freq_base;
    if (a.flash_attn == "on") p.flash_attn = giraffe::FlashAttn::On;
    else if (a.flash_attn == "off") p.flash_attn = giraffe::FlashAttn::Off;
    else if (a.flash_attn != "auto") throw std::invalid_argument("--flash-attn must be on, off or auto, got '" + a.flash_attn + "'");
    return p;
}

std::string prompt_text(const Args& a, bool required) {
    if (!a.file.empty()) {
        std::ifstream in(a.file, std::ios::binary);
        if (!in) throw std::runtime_error("cannot read prompt file '" + a.file + "'");
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }
    if (required && a.prompt.empty()) throw std::invalid_argument("no prompt: give -p TEXT or -f FILE");
    return a.prompt;
}

void require_model(const Args& a) {
    if (a.model.empty()) throw std::invalid_argument("no model: give -m MODEL.gguf");
}

giraffe::Model::Options model_options(const Args& a) {
    giraffe::Model::Options mo;
    mo.n_threads = a.n_threads;
    mo.repack = !a.no_repack;
    mo.device = a.device;
    if (a.n_gpu_layers < -1) throw std::invalid_argument("-ngl must be 0 or more (or -1: all layers)");
    mo.n_gpu_layers = a.n_gpu_layers;
    if (a.n_gpu_layers > 0 && ggml::parse_device(a.device).is_cpu())
        throw std::invalid_argument("-ngl " + std::to_string(a.n_gpu_layers) + " needs a GPU: add --device vulkan");
    return mo;
}

}  // namespace cli
