#include "serve_metrics.h"

#include <sstream>

namespace cli::serve {
namespace {

const char* const kRoutes[] = {"/v1/chat/completions", "/v1/completions", "/v1/models", "/chat/completions",
                               "/completions", "/models", "/health", "/metrics"};

void header(std::ostringstream& o, const char* name, const char* type, const char* help) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

template <class T>
void single(std::ostringstream& o, const char* name, const char* type, const char* help, T value) {
    header(o, name, type, help);
    o << name << ' ' << value << '\n';
}

}  // namespace

void Metrics::count_request(const std::string& path, int status) {
    std::string endpoint = "other";
    for (const char* r : kRoutes)
        if (path == r) endpoint = r;
    std::lock_guard<std::mutex> lk(mu_);
    requests_[{endpoint, status}]++;
}

std::string Metrics::render(const EngineStats& st) const {
    std::ostringstream o;
    header(o, "giraffe_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
    {
        std::lock_guard<std::mutex> lk(mu_);
        for (const auto& [key, n] : requests_)
            o << "giraffe_requests_total{endpoint=\"" << key.first << "\",code=\"" << key.second << "\"} " << n << '\n';
    }
    single(o, "giraffe_prompt_tokens_total", "counter", "Prompt tokens of the requests that got a slot.", st.prompt_tokens);
    single(o, "giraffe_prompt_tokens_reused_total", "counter",
           "Prompt tokens found in a slot's cache (a shared prefix) and not decoded again.", st.reused_tokens);
    single(o, "giraffe_generated_tokens_total", "counter", "Tokens generated.", st.generated_tokens);
    single(o, "giraffe_requests_queued", "gauge", "Requests waiting for a slot.", st.queued);
    single(o, "giraffe_requests_running", "gauge", "Requests holding a slot.", st.slots_busy);
    single(o, "giraffe_slots", "gauge", "Slots (sequences decoded together).", st.slots);
    single(o, "giraffe_kv_positions_used", "gauge", "KV cache positions held by running requests.", st.kv_used);
    single(o, "giraffe_kv_positions_cached", "gauge", "KV cache positions idle slots keep for prefix reuse.",
           st.kv_cached_idle);
    single(o, "giraffe_kv_positions_total", "gauge", "KV cache positions of all slots.", st.kv_total);
    return o.str();
}

}  // namespace cli::serve
