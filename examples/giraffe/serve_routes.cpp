#include "serve_routes.h"

#include <chrono>
#include <climits>

#include "serve_conn.h"
#include "tokenizer.h"

namespace cli::serve {
namespace {

using namespace std::chrono_literals;

// How often a waiting handler looks at its client: the longest a departed client holds a slot.
constexpr auto kPoll = 50ms;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Cancels the job when the response that relays it goes away, however that happens (finished, client
// gone, write failed, server stopping): a slot is never left to a request nobody waits for. Cancelling
// a finished job changes nothing.
struct JobHold {
    Engine& engine;
    std::shared_ptr<Job> job;
    PeerWatch peer;
    bool sent_role = false;
    JobHold(Engine& e, std::shared_ptr<Job> j, PeerWatch p) : engine(e), job(std::move(j)), peer(p) {}
    JobHold(const JobHold&) = delete;  // one owner: a copy's end would cancel the job early
    JobHold& operator=(const JobHold&) = delete;
    ~JobHold() { engine.cancel(job); }
};

Usage usage_of(const Job::Result& r) { return {r.prompt_tokens, r.completion_tokens, r.cached_tokens}; }

ApiError job_error(const Job::Result& r) {
    return ApiError(r.error_status, r.error_message, r.error_status < 500 ? "invalid_request_error" : "server_error", "",
                    r.error_code);
}

// The job's events until it ends: role first (chat), text as it comes, the finish reason, usage when
// asked, [DONE]. Between events it polls, so a client that left unseen is noticed within kPoll.
void stream_response(httplib::Response& res, std::shared_ptr<JobHold> hold, const ResponseHead& head, bool include_usage) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");  // proxies in front must not buffer the stream
    res.set_chunked_content_provider("text/event-stream", [hold, head, include_usage](size_t, httplib::DataSink& sink) {
        std::string text;
        const bool done = hold->job->take(&text, kPoll);
        std::string out;
        if (head.endpoint == Endpoint::Chat && !hold->sent_role) {
            out += sse(chunk_json(head, "assistant", "", ""));
            hold->sent_role = true;
        }
        if (!text.empty()) out += sse(chunk_json(head, "", text, ""));
        if (done) {
            const Job::Result r = hold->job->result();
            if (r.error_status) {
                out += sse(error_body(job_error(r)));  // the client libraries raise on an error event
            } else {
                out += sse(chunk_json(head, "", "", r.finish_reason));
                if (include_usage) out += sse(usage_chunk_json(head, usage_of(r)));
            }
            out += "data: [DONE]\n\n";
        }
        if (out.empty()) return !hold->peer.closed();  // false ends the response; the hold cancels the job
        // A write to a closed connection fails (at the latest the second one, once the peer's reset came).
        if (!sink.write(out.data(), out.size())) return false;
        if (done) sink.done();
        return true;
    });
}

void blocking_response(httplib::Response& res, JobHold& hold, const ResponseHead& head) {
    std::string text;
    while (!hold.job->take(&text, kPoll))
        if (hold.peer.closed()) {
            res.status = 499;  // nginx's "client closed request", for the request count; nobody reads it
            return;
        }
    const Job::Result r = hold.job->result();
    if (r.error_status) return send_error(res, job_error(r));
    res.set_content(dump(completion_json(head, text, r.finish_reason, usage_of(r))), "application/json");
}

void generate(const ServeContext& ctx, const httplib::Request& req, httplib::Response& res, Endpoint endpoint) {
    GenRequest g = parse_request(req.body, endpoint);
    const giraffe::Tokenizer& tok = ctx.model.tokenizer();
    auto job = std::make_shared<Job>();
    const char* param = endpoint == Endpoint::Chat ? "messages" : "prompt";
    try {
        // A chat is formatted with the model's template, whose markers are special tokens.
        if (endpoint == Endpoint::Chat)
            job->prompt = tok.tokenize(giraffe::format_chat(ctx.chat_template, g.messages, true), true, true);
        else
            job->prompt = tok.tokenize(g.prompt, true, false);
    } catch (const giraffe::TokenizerError& e) {
        throw bad_request(std::string("the text cannot be tokenized: ") + e.what(), param);
    }
    if (job->prompt.empty()) throw bad_request("the prompt is empty", param, "invalid_value");
    // The prompt and at least the first new token must fit a slot's context.
    if (int(job->prompt.size()) >= ctx.engine.n_ctx())
        throw bad_request("the prompt has " + std::to_string(job->prompt.size()) + " tokens; a slot's context holds " +
                              std::to_string(ctx.engine.n_ctx()) + " (the server's -c divided by --parallel)",
                          param, "context_length_exceeded");
    job->sampling = sampler_params(g, ctx.sampling);
    // The chat API generates until the end of the turn; the completions API's documented default is 16.
    job->max_tokens = g.max_tokens.value_or(endpoint == Endpoint::Chat ? INT_MAX : 16);
    job->stop = g.stop;
    job->cache_prompt = g.cache_prompt;
    job->deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(ctx.timeout_s));
    if (!ctx.engine.submit(job)) {
        res.set_header("Retry-After", "1");
        throw ApiError(503, "the server is busy: its queue of waiting requests is full; retry later", "server_error", "",
                       "queue_full");
    }
    auto hold = std::make_shared<JobHold>(ctx.engine, job,
                                          PeerWatch(req.local_addr, req.local_port, req.remote_addr, req.remote_port));
    const ResponseHead head = make_head(endpoint, g.model.empty() ? ctx.model_id : g.model);
    if (g.stream) stream_response(res, hold, head, g.include_usage);
    else blocking_response(res, *hold, head);
}

// Every request handler answers with the API's error object whatever goes wrong inside it.
httplib::Server::Handler guarded(std::function<void(const httplib::Request&, httplib::Response&)> f) {
    return [f = std::move(f)](const httplib::Request& req, httplib::Response& res) {
        try {
            f(req, res);
        } catch (const ApiError& e) {
            send_error(res, e);
        } catch (const std::exception& e) {
            send_error(res, ApiError(500, std::string("internal error: ") + e.what(), "server_error"));
        } catch (...) {
            send_error(res, ApiError(500, "internal error", "server_error"));
        }
    };
}

// Compares without stopping at the first difference, so the time taken does not reveal the key.
bool same_secret(const std::string& a, const std::string& b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (size_t i = 0; i < a.size(); i++) diff |= (unsigned char)(a[i] ^ (i < b.size() ? b[i] : 0));
    return diff == 0;
}

}  // namespace

void send_error(httplib::Response& res, const ApiError& e) {
    res.status = e.status;
    res.set_content(dump(error_body(e)), "application/json");
}

void add_routes(httplib::Server& svr, const ServeContext& ctx) {
    const ServeContext* c = &ctx;
    // The key guards everything but /health, which load balancers probe without credentials.
    svr.set_pre_routing_handler([c](const httplib::Request& req, httplib::Response& res) {
        if (c->api_key.empty() || req.path == "/health") return httplib::Server::HandlerResponse::Unhandled;
        if (same_secret(req.get_header_value("Authorization"), "Bearer " + c->api_key))
            return httplib::Server::HandlerResponse::Unhandled;
        send_error(res, ApiError(401, "missing or wrong API key: send 'Authorization: Bearer KEY'", "authentication_error", "",
                                 "invalid_api_key"));
        return httplib::Server::HandlerResponse::Handled;
    });
    // httplib's own refusals (no route, body too large, malformed request) get the API's error body
    // too; answers that already carry one pass unchanged.
    svr.set_error_handler([c](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        if (res.status == 404)
            send_error(res, ApiError(404, "no route for " + req.method + " " + req.path, "invalid_request_error", "", "not_found"));
        else if (res.status == 413)
            send_error(res, ApiError(413, "the request body is larger than the server's limit of " + std::to_string(c->max_body) +
                                              " bytes (--max-body)", "invalid_request_error", "", "request_too_large"));
        else
            send_error(res, ApiError(res.status, "the request was refused (HTTP " + std::to_string(res.status) + ")",
                                     res.status < 500 ? "invalid_request_error" : "server_error"));
    });
    svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        send_error(res, ApiError(500, "internal error", "server_error"));
    });
    svr.set_logger([c](const httplib::Request& req, const httplib::Response& res) { c->metrics.count_request(req.path, res.status); });

    // The API's paths, and the same without /v1 as some clients send them.
    for (const std::string prefix : {"/v1", ""}) {
        svr.Post(prefix + "/chat/completions", guarded([c](const auto& req, auto& res) { generate(*c, req, res, Endpoint::Chat); }));
        svr.Post(prefix + "/completions", guarded([c](const auto& req, auto& res) { generate(*c, req, res, Endpoint::Completion); }));
        svr.Get(prefix + "/models", guarded([c](const auto&, auto& res) {
                    const json m = {{"id", c->model_id},
                                    {"object", "model"},
                                    {"created", make_head(Endpoint::Chat, "").created},
                                    {"owned_by", "giraffe"},
                                    {"context_length", c->engine.n_ctx()}};
                    res.set_content(dump({{"object", "list"}, {"data", json::array({m})}}), "application/json");
                }));
    }
    svr.Get("/health", guarded([c](const auto&, auto& res) {
                const EngineStats st = c->engine.stats();
                res.set_content(dump({{"status", "ok"},
                                      {"slots_idle", st.slots - st.slots_busy},
                                      {"slots_processing", st.slots_busy},
                                      {"requests_queued", st.queued}}),
                                "application/json");
            }));
    svr.Get("/metrics", guarded([c](const auto&, auto& res) {
                res.set_content(c->metrics.render(c->engine.stats()), "text/plain; version=0.0.4; charset=utf-8");
            }));
}

}  // namespace cli::serve
