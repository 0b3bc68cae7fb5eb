// giraffe serve: an OpenAI-compatible HTTP server. The model is loaded once; --parallel sequences of one
// session ("slots") serve that many requests together through continuous batching (serve_engine.h),
// and more wait in a bounded queue. Several servers scale out behind an ordinary load balancer, which
// probes /health.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <pthread.h>

#include "commands.h"

#if GIRAFFE_HAVE_HTTPLIB
#include "serve_routes.h"
#endif

namespace cli {

#if !GIRAFFE_HAVE_HTTPLIB

int cmd_serve(const Args&) {
    throw std::runtime_error("this giraffe was built without cpp-httplib: install it (make setup) and build again");
}

#else

namespace {

// The model's name in the API: --alias, else the file's name without directory and ".gguf".
std::string model_id(const Args& a) {
    if (!a.alias.empty()) return a.alias;
    std::string s = a.model.substr(a.model.find_last_of('/') + 1);
    if (s.size() > 5 && s.compare(s.size() - 5, 5, ".gguf") == 0) s.resize(s.size() - 5);
    return s;
}

void check_flags(const Args& a) {
    require_model(a);
    if (a.n_parallel < 1 || a.n_parallel > 256) throw std::invalid_argument("--parallel must be between 1 and 256");
    if (a.n_queue < 0) throw std::invalid_argument("--queue must not be negative");
    if (!(a.timeout_s > 0) || a.timeout_s > 1e7f) throw std::invalid_argument("--timeout must be between 0 and 1e7 seconds");
    if (a.max_body < 1) throw std::invalid_argument("--max-body must be positive");
    if (a.port < 0 || a.port > 65535) throw std::invalid_argument("--port must be between 0 and 65535");
    if (a.n_ctx > 0 && a.n_ctx / a.n_parallel < 2)
        throw std::invalid_argument("-c " + std::to_string(a.n_ctx) + " leaves under 2 positions to each of the " +
                                    std::to_string(a.n_parallel) + " slots (-c is split among --parallel)");
}

}  // namespace

int cmd_serve(const Args& args) {
    Args a = args;
    check_flags(a);
    if (a.api_key.empty())
        if (const char* k = std::getenv("GIRAFFE_API_KEY")) a.api_key = k;  // keeps the key off the process list

    // SIGINT / SIGTERM are taken by one thread (sigwait) that stops the server; every other thread,
    // the model's worker threads included, is created after this and inherits the blocked mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a client gone mid-write is an error return, not the end of the server

    auto model = giraffe::Model::load(a.model, model_options(a));
    // -c is the total context, split evenly among the slots (llama.cpp's meaning); without it each slot
    // gets the model's training context, capped at 4096.
    Args per_slot = a;
    per_slot.n_ctx = a.n_ctx > 0 ? a.n_ctx / a.n_parallel : 0;
    giraffe::SessionParams sp = session_params(per_slot, model->hparams());
    sp.n_seq = a.n_parallel;
    giraffe::ChatTemplate tmpl = giraffe::detect_chat_template(model->file());
    if (!a.chat_template.empty() && !giraffe::chat_template_from_name(a.chat_template, &tmpl))
        throw std::invalid_argument("unknown chat template '" + a.chat_template + "' (gemma, llama3, chatml, mistral)");

    serve::Engine engine(*model, sp, {a.n_queue, a.n_ubatch});
    serve::Metrics metrics;
    const serve::ServeContext ctx{*model,      engine, metrics, tmpl, model_id(a), a.sampling, double(a.timeout_s),
                                  a.api_key,   size_t(a.max_body)};

    httplib::Server svr;
    // Every running, queued or refused request holds an HTTP thread while it waits, and idle keep-alive
    // connections hold one for a few seconds: the pool is sized so a full queue still gets its 503s.
    const size_t n_threads = size_t(a.n_parallel + a.n_queue) + 16;
    svr.new_task_queue = [n_threads] { return new httplib::ThreadPool(n_threads); };
    svr.set_payload_max_length(size_t(a.max_body));
    svr.set_read_timeout(30);
    svr.set_write_timeout(30);
    serve::add_routes(svr, ctx);

    const int port = a.port == 0 ? svr.bind_to_any_port(a.host) : (svr.bind_to_port(a.host, a.port) ? a.port : -1);
    if (port < 0) throw std::runtime_error("cannot listen on " + a.host + ":" + std::to_string(a.port));
    if (!engine.n_ctx()) throw std::runtime_error("the session has no context");
    std::fprintf(stderr, "giraffe serve: listening on http://%s:%d (%d slots x %d positions, model '%s', chat template %s)\n",
                 a.host.c_str(), port, engine.n_slots(), engine.n_ctx(), ctx.model_id.c_str(), giraffe::chat_template_name(tmpl));
    std::fflush(stderr);

    // The HTTP server listens on its own thread; the engine runs on this one (Engine::run says why).
    // Graceful stop: the engine ends what runs and is queued (their clients get an error), then the
    // server stops listening and joins its threads once their responses are written.
    std::atomic<bool> done{false}, signalled{false};
    bool ok = true;
    std::thread http([&] {
        ok = svr.listen_after_bind();
        engine.stop();
    });
    std::thread waiter([&] {
        const timespec tick{0, 200 * 1000 * 1000};
        while (!done) {
            if (sigtimedwait(&stop_signals, nullptr, &tick) > 0) {
                std::fprintf(stderr, "giraffe serve: stopping\n");
                signalled = true;
                engine.stop();
                return;
            }
        }
    });
    engine.run();
    svr.stop();
    http.join();
    done = true;
    waiter.join();
    return ok || signalled ? 0 : 1;
}

#endif

}  // namespace cli
