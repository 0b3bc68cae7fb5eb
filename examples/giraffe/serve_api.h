// giraffe serve: the OpenAI API's JSON. Parses and checks request bodies (chat and text completions) into
// plain structs, and builds the response, stream-chunk and error objects. Knows nothing about HTTP or the
// engine, so every rule about what a request may hold lives here.
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat.h"
#include "sampler.h"

namespace cli::serve {

using json = nlohmann::json;

// An error as the API reports it: HTTP status plus {"error": {message, type, param, code}}.
struct ApiError : std::runtime_error {
    int status;
    std::string type, param, code;
    ApiError(int status_, std::string message, std::string type_, std::string param_ = "", std::string code_ = "")
        : std::runtime_error(std::move(message)), status(status_), type(std::move(type_)), param(std::move(param_)),
          code(std::move(code_)) {}
};

// 400 invalid_request_error, the common case: `param` names the offending field.
ApiError bad_request(const std::string& message, const std::string& param = "", const std::string& code = "");
json error_body(const ApiError& e);

enum class Endpoint { Chat, Completion };

// A checked generation request. Absent optional fields fall back to the server's flags.
struct GenRequest {
    Endpoint endpoint = Endpoint::Chat;
    std::string model;                           // echoed back
    std::vector<giraffe::ChatMessage> messages;  // Chat
    std::string prompt;                          // Completion
    bool stream = false;
    bool include_usage = false;  // stream_options.include_usage
    std::optional<int> max_tokens;
    std::vector<std::string> stop;
    std::optional<float> temperature, top_p, min_p;
    std::optional<int> top_k;
    std::optional<int64_t> seed;
    // llama.cpp's extension: false reads the whole prompt afresh instead of reusing a slot's cached
    // prefix, whose arithmetic differs slightly (so a greedy answer can differ) from reading it whole.
    bool cache_prompt = true;
};

// Parses a body; throws ApiError (400) naming the field on malformed JSON, a wrong type, a missing or
// unknown value, or n other than 1.
GenRequest parse_request(const std::string& body, Endpoint endpoint);

// The request's sampling settings over the server's defaults (a request's seed makes it repeatable).
giraffe::SamplerParams sampler_params(const GenRequest& r, const giraffe::SamplerParams& defaults);

struct Usage {
    int prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
};

// What every object of one response shares: its id, creation time and the model name echoed.
struct ResponseHead {
    Endpoint endpoint;
    std::string id;
    int64_t created;
    std::string model;
};
ResponseHead make_head(Endpoint endpoint, const std::string& model);

json usage_json(const Usage& u);
// The whole answer of a non-streaming request.
json completion_json(const ResponseHead& h, const std::string& text, const std::string& finish_reason, const Usage& u);
// One stream event. Chat: role (the first chunk's "assistant"), content delta, finish_reason ("" for
// none); text completions carry the text only. A usage chunk has no choices.
json chunk_json(const ResponseHead& h, const std::string& role, const std::string& text, const std::string& finish_reason);
json usage_chunk_json(const ResponseHead& h, const Usage& u);
// "data: <json>\n\n": one server-sent event.
std::string sse(const json& j);

}  // namespace cli::serve
