#include "serve_api.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <random>

namespace cli::serve {
namespace {

// Absent and null mean the same to the API's clients (some send null for "not given").
const json* field(const json& o, const char* name) {
    auto it = o.find(name);
    return it == o.end() || it->is_null() ? nullptr : &*it;
}

std::optional<float> number_in(const json& o, const char* name, double lo, double hi) {
    const json* v = field(o, name);
    if (!v) return std::nullopt;
    if (!v->is_number()) throw bad_request(std::string("'") + name + "' must be a number", name, "invalid_type");
    const double x = v->get<double>();
    if (!(x >= lo && x <= hi))
        throw bad_request(std::string("'") + name + "' must be between " + json(lo).dump() + " and " + json(hi).dump(), name,
                          "invalid_value");
    return float(x);
}

std::optional<int64_t> integer(const json& o, const char* name) {
    const json* v = field(o, name);
    if (!v) return std::nullopt;
    // 16.0 parses as a float; the API wants an integer and says so.
    if (!v->is_number_integer()) throw bad_request(std::string("'") + name + "' must be an integer", name, "invalid_type");
    return v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX) ? INT64_MAX : v->get<int64_t>();
}

bool boolean(const json& o, const char* name, bool def) {
    const json* v = field(o, name);
    if (!v) return def;
    if (!v->is_boolean()) throw bad_request(std::string("'") + name + "' must be a boolean", name, "invalid_type");
    return v->get<bool>();
}

// Message content: a string, or the array-of-parts form with text parts only (no images here).
std::string content_text(const json& c, const std::string& param, bool may_be_null) {
    if (c.is_null() && may_be_null) return "";
    if (c.is_string()) return c.get<std::string>();
    if (c.is_array()) {
        std::string s;
        for (const json& part : c) {
            if (!part.is_object() || part.value("type", json()) != "text" || !part.contains("text") || !part["text"].is_string())
                throw bad_request("only text content parts are supported", param, "invalid_type");
            s += part["text"].get<std::string>();
        }
        return s;
    }
    throw bad_request("'content' must be a string or an array of text parts", param, "invalid_type");
}

std::vector<giraffe::ChatMessage> parse_messages(const json& o) {
    const json* m = field(o, "messages");
    if (!m) throw bad_request("'messages' is required", "messages", "missing_required_parameter");
    if (!m->is_array()) throw bad_request("'messages' must be an array", "messages", "invalid_type");
    if (m->empty()) throw bad_request("'messages' must not be empty", "messages", "invalid_value");
    std::vector<giraffe::ChatMessage> out;
    for (size_t i = 0; i < m->size(); i++) {
        const json& msg = (*m)[i];
        const std::string at = "messages[" + std::to_string(i) + "]";
        if (!msg.is_object()) throw bad_request(at + " must be an object", at, "invalid_type");
        const json* role = field(msg, "role");
        if (!role || !role->is_string()) throw bad_request(at + ".role must be a string", at + ".role", "invalid_type");
        std::string r = role->get<std::string>();
        if (r == "developer") r = "system";  // the newer name of the system role
        if (r != "system" && r != "user" && r != "assistant")
            throw bad_request("unknown role '" + role->get<std::string>() + "' (system, user or assistant)", at + ".role",
                              "invalid_value");
        auto c = msg.find("content");
        if (c == msg.end()) throw bad_request(at + ".content is required", at + ".content", "missing_required_parameter");
        out.push_back({r, content_text(*c, at + ".content", r == "assistant")});
    }
    return out;
}

std::string parse_prompt(const json& o) {
    const json* p = field(o, "prompt");
    if (!p) throw bad_request("'prompt' is required", "prompt", "missing_required_parameter");
    if (p->is_string()) return p->get<std::string>();
    // The API also takes a batch of prompts; one answer per request is what this server gives.
    if (p->is_array() && p->size() == 1 && (*p)[0].is_string()) return (*p)[0].get<std::string>();
    throw bad_request("'prompt' must be a string (or an array of exactly one string)", "prompt", "invalid_type");
}

std::vector<std::string> parse_stop(const json& o) {
    const json* s = field(o, "stop");
    std::vector<std::string> out;
    if (!s) return out;
    if (s->is_string()) {
        out.push_back(s->get<std::string>());
    } else if (s->is_array()) {
        if (s->size() > 4) throw bad_request("'stop' holds at most 4 sequences", "stop", "invalid_value");
        for (const json& x : *s) {
            if (!x.is_string()) throw bad_request("'stop' must be a string or an array of strings", "stop", "invalid_type");
            out.push_back(x.get<std::string>());
        }
    } else {
        throw bad_request("'stop' must be a string or an array of strings", "stop", "invalid_type");
    }
    // An empty stop string would match before any text: it means nothing.
    std::vector<std::string> kept;
    for (std::string& x : out)
        if (!x.empty()) kept.push_back(std::move(x));
    return kept;
}

// Features a client may ask for that this server does not have: refusing beats silently ignoring them.
void refuse_unsupported(const json& o) {
    if (const json* t = field(o, "tools"); t && !(t->is_array() && t->empty()))
        throw bad_request("tools are not supported", "tools", "unsupported_parameter");
    if (const json* l = field(o, "logprobs"); l && !(l->is_boolean() && !l->get<bool>()))
        throw bad_request("logprobs are not supported", "logprobs", "unsupported_parameter");
    if (const json* f = field(o, "response_format"); f && !(f->is_object() && f->value("type", json()) == "text"))
        throw bad_request("only the 'text' response_format is supported", "response_format", "unsupported_parameter");
}

std::string random_hex(size_t n) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char* kHex = "0123456789abcdef";
    std::string s(n, '0');
    for (char& c : s) c = kHex[rng() & 15];
    return s;
}

}  // namespace

ApiError bad_request(const std::string& message, const std::string& param, const std::string& code) {
    return ApiError(400, message, "invalid_request_error", param, code);
}

json error_body(const ApiError& e) {
    auto opt = [](const std::string& s) { return s.empty() ? json() : json(s); };
    return {{"error", {{"message", e.what()}, {"type", e.type}, {"param", opt(e.param)}, {"code", opt(e.code)}}}};
}

GenRequest parse_request(const std::string& body, Endpoint endpoint) {
    json o;
    try {
        o = json::parse(body);
    } catch (const json::parse_error& e) {
        throw bad_request(std::string("the body is not valid JSON: ") + e.what(), "", "invalid_json");
    }
    if (!o.is_object()) throw bad_request("the body must be a JSON object", "", "invalid_json");
    GenRequest r;
    r.endpoint = endpoint;
    if (const json* m = field(o, "model")) {
        if (!m->is_string()) throw bad_request("'model' must be a string", "model", "invalid_type");
        r.model = m->get<std::string>();
    }
    if (endpoint == Endpoint::Chat) r.messages = parse_messages(o);
    else r.prompt = parse_prompt(o);
    if (auto n = integer(o, "n"); n && *n != 1) throw bad_request("only n = 1 is supported", "n", "invalid_value");
    r.stream = boolean(o, "stream", false);
    if (const json* so = field(o, "stream_options")) {
        if (!so->is_object()) throw bad_request("'stream_options' must be an object", "stream_options", "invalid_type");
        r.include_usage = boolean(*so, "include_usage", false);
    }
    // max_completion_tokens is the chat API's newer name; either may come, the newer wins.
    for (const char* name : {"max_tokens", "max_completion_tokens"})
        if (auto n = integer(o, name)) {
            if (*n < 1) throw bad_request(std::string("'") + name + "' must be at least 1", name, "invalid_value");
            r.max_tokens = int(std::min<int64_t>(*n, INT32_MAX));
        }
    r.stop = parse_stop(o);
    r.temperature = number_in(o, "temperature", 0, 2);
    r.top_p = number_in(o, "top_p", 0, 1);
    r.min_p = number_in(o, "min_p", 0, 1);  // min_p and top_k: common extensions of the API
    if (auto k = integer(o, "top_k")) r.top_k = int(std::clamp<int64_t>(*k, INT32_MIN, INT32_MAX));
    r.seed = integer(o, "seed");
    r.cache_prompt = boolean(o, "cache_prompt", true);
    number_in(o, "presence_penalty", -2, 2);  // accepted (checked) but not applied
    number_in(o, "frequency_penalty", -2, 2);
    refuse_unsupported(o);
    return r;
}

giraffe::SamplerParams sampler_params(const GenRequest& r, const giraffe::SamplerParams& defaults) {
    giraffe::SamplerParams p = defaults;
    if (r.temperature) p.temp = *r.temperature;
    if (r.top_p) p.top_p = *r.top_p;
    if (r.min_p) p.min_p = *r.min_p;
    if (r.top_k) p.top_k = *r.top_k;
    if (r.seed) p.seed = uint64_t(*r.seed);
    return p;
}

ResponseHead make_head(Endpoint endpoint, const std::string& model) {
    using namespace std::chrono;
    const int64_t now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
    return {endpoint, (endpoint == Endpoint::Chat ? "chatcmpl-" : "cmpl-") + random_hex(24), now, model};
}

json usage_json(const Usage& u) {
    return {{"prompt_tokens", u.prompt_tokens},
            {"completion_tokens", u.completion_tokens},
            {"total_tokens", u.prompt_tokens + u.completion_tokens},
            {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

json completion_json(const ResponseHead& h, const std::string& text, const std::string& finish_reason, const Usage& u) {
    json choice = {{"index", 0}, {"finish_reason", finish_reason}, {"logprobs", nullptr}};
    if (h.endpoint == Endpoint::Chat) choice["message"] = {{"role", "assistant"}, {"content", text}};
    else choice["text"] = text;
    return {{"id", h.id},
            {"object", h.endpoint == Endpoint::Chat ? "chat.completion" : "text_completion"},
            {"created", h.created},
            {"model", h.model},
            {"choices", json::array({choice})},
            {"usage", usage_json(u)}};
}

json chunk_json(const ResponseHead& h, const std::string& role, const std::string& text, const std::string& finish_reason) {
    json choice = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", finish_reason.empty() ? json() : json(finish_reason)}};
    if (h.endpoint == Endpoint::Chat) {
        json delta = json::object();
        if (!role.empty()) delta["role"] = role;
        if (!text.empty() || !role.empty()) delta["content"] = text;
        choice["delta"] = delta;
    } else {
        choice["text"] = text;
    }
    return {{"id", h.id},
            {"object", h.endpoint == Endpoint::Chat ? "chat.completion.chunk" : "text_completion"},
            {"created", h.created},
            {"model", h.model},
            {"choices", json::array({choice})}};
}

json usage_chunk_json(const ResponseHead& h, const Usage& u) {
    json j = chunk_json(h, "", "", "");
    j["choices"] = json::array();
    j["usage"] = usage_json(u);
    return j;
}

std::string sse(const json& j) {
    // Invalid UTF-8 (a model can emit a lone byte token) is replaced rather than thrown on.
    return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

}  // namespace cli::serve
