// giraffe serve: the HTTP routes. Handlers parse and tokenize on the HTTP thread, hand a Job to the
// engine and relay its text (as server-sent events when streaming); every answer, errors included,
// is the OpenAI API's JSON.
#pragma once
#include <string>

#include <httplib.h>

#include "chat.h"
#include "model.h"
#include "sampler.h"
#include "serve_api.h"
#include "serve_engine.h"
#include "serve_metrics.h"

namespace cli::serve {

// What the routes need, all owned by cmd_serve and alive until the server's threads are joined.
struct ServeContext {
    const giraffe::Model& model;
    Engine& engine;
    Metrics& metrics;
    giraffe::ChatTemplate chat_template;
    std::string model_id;               // the name /v1/models lists
    giraffe::SamplerParams sampling;    // defaults a request's fields override
    double timeout_s = 600;
    std::string api_key;                // empty: no key needed
    size_t max_body = 1 << 20;
};

void send_error(httplib::Response& res, const ApiError& e);
// Routes, the key check, error bodies for httplib's own errors (404, 413, ...) and request counting.
void add_routes(httplib::Server& svr, const ServeContext& ctx);

}  // namespace cli::serve
