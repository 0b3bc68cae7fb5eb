#include "args.h"

#include "backends/registry.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cli {
namespace {

std::string see_help(const Command& c) { return " (see giraffe " + c.name + " --help)"; }

bool looks_like_flag(const std::string& arg) { return arg.size() > 1 && arg[0] == '-'; }

const Flag* find_flag(const Command& c, const std::string& name) {
    for (const FlagGroup& g : c.groups)
        for (const Flag& f : g.flags)
            for (const std::string& n : f.names)
                if (n == name) return &f;
    return nullptr;
}

// "-n, --n-predict N": how help names a flag.
std::string flag_synopsis(const Flag& f) {
    std::string s;
    for (const std::string& n : f.names) s += (s.empty() ? "" : ", ") + n;
    return f.value.empty() ? s : s + " " + f.value;
}

}  // namespace

long long Value::parse_whole(const std::string& item, long long min, long long max) const {
    const std::string got = ", got '" + item + "'" + (item == text_ ? "" : " (in '" + text_ + "')");
    long long x = 0;
    size_t used = 0;
    bool overflow = false;
    try {
        x = std::stoll(item, &used);
    } catch (const std::out_of_range&) {
        overflow = true, used = item.size();
    } catch (const std::invalid_argument&) {
    }
    if (used == 0 || used != item.size()) throw std::invalid_argument(flag_ + " expects an integer" + got);
    if (!overflow && x >= min && x <= max) return x;
    const bool too_small = overflow ? item.find('-') < item.find_first_of("0123456789") : x < min;
    const std::string range = too_small && max == INT_MAX ? "of at least " + std::to_string(min)
                                                          : "from " + std::to_string(min) + " to " + std::to_string(max);
    throw std::invalid_argument(flag_ + " expects an integer " + range + got);
}

long long Value::whole(long long min, long long max) const { return parse_whole(text_, min, max); }

std::vector<int> Value::integers(int min, int max) const {
    std::vector<int> out;
    size_t at = 0;
    while (true) {
        const size_t comma = text_.find(',', at);
        out.push_back(int(parse_whole(text_.substr(at, comma == std::string::npos ? comma : comma - at), min, max)));
        if (comma == std::string::npos) return out;
        at = comma + 1;
    }
}

float Value::number() const {
    try {
        size_t used = 0;
        const float x = std::stof(text_, &used);
        if (used == text_.size() && std::isfinite(x)) return x;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument(flag_ + " expects a number, got '" + text_ + "'");
}

Args parse_args(const Command& c, int argc, char** argv, int first) {
    Args a;
    for (int i = first; i < argc; i++) {
        const std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            a.help = true;
            return a;
        }
        if (!looks_like_flag(arg)) {
            if (int(a.positional.size()) >= c.max_operands)
                throw std::invalid_argument("giraffe " + c.name + ": unexpected '" + arg + "'" + see_help(c));
            a.positional.push_back(arg);
            continue;
        }
        const Flag* f = find_flag(c, arg);
        if (!f) throw std::invalid_argument("giraffe " + c.name + " does not take " + arg + see_help(c));
        if (f->value.empty()) {
            f->set(a, Value(arg, ""));
            continue;
        }
        if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value: " + flag_synopsis(*f) + see_help(c));
        f->set(a, Value(arg, argv[++i]));
    }
    return a;
}

std::string command_help(const Command& c) {
    constexpr size_t kColumn = 30;  // where the flags' help starts; longer names put it on the next line
    std::string s = "usage: giraffe " + c.name + (c.usage.empty() ? "" : " " + c.usage) + "\n" + c.summary + "\n";
    auto line = [&](const std::string& names, const std::string& help) {
        s += "  " + names;
        s += names.size() + 2 < kColumn ? std::string(kColumn - 2 - names.size(), ' ') : "\n" + std::string(kColumn, ' ');
        s += help + "\n";
    };
    for (const FlagGroup& g : c.groups) {
        s += "\n" + g.title + ":\n";
        for (const Flag& f : g.flags) line(flag_synopsis(f), f.help);
    }
    s += "\n";
    line("-h, --help", "this help");
    if (!c.details.empty()) s += "\n" + c.details + "\n";
    return s;
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
        throw std::invalid_argument("-ngl " + std::to_string(a.n_gpu_layers) + " needs a GPU: add --device vulkan or --device cuda");
    return mo;
}

}  // namespace cli
