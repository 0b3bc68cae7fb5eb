// giraffe serve: counters for /metrics, in Prometheus' text format. Request counts are kept here (the
// HTTP side knows endpoints and status codes); token counts and occupancy come from the engine's stats.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "serve_engine.h"

namespace cli::serve {

class Metrics {
public:
    // Counts one answered request. Paths outside the known routes count as "other", so probing random
    // URLs cannot grow the label set without bound.
    void count_request(const std::string& path, int status);
    std::string render(const EngineStats& st) const;

private:
    mutable std::mutex mu_;
    std::map<std::pair<std::string, int>, uint64_t> requests_;  // (endpoint, status) -> count
};

}  // namespace cli::serve
