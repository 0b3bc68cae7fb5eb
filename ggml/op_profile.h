// GIRAFFE_PROFILE=1: where a backend's compute time goes. Each backend times its nodes its own way (the
// GPUs wait for each node alone, which is slower than a normal run but says what each costs) and adds
// them here under a key (the op, and for products the weight type); the table is printed to stderr when
// the profile goes away with its backend.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace ggml {

class OpProfile {
public:
    explicit OpProfile(std::string backend) : backend_(std::move(backend)) {}
    OpProfile(const OpProfile&) = delete;
    OpProfile& operator=(const OpProfile&) = delete;
    ~OpProfile() {
        if (!enabled_) return;
        double total = 0;
        for (const auto& [key, t] : times_) total += t.seconds;
        std::fprintf(stderr, "%s profile: %.3f s in ops\n", backend_.c_str(), total);
        for (const auto& [key, t] : times_)
            std::fprintf(stderr, "  %-26s %8.3f s %5.1f%% %9ld calls\n", key.c_str(), t.seconds, 100.0 * t.seconds / total, t.calls);
    }
    bool enabled() const { return enabled_; }
    void add(const std::string& key, double seconds) {
        Time& t = times_[key];
        t.seconds += seconds;
        t.calls++;
    }

private:
    struct Time {
        double seconds = 0;
        long calls = 0;
    };
    const bool enabled_ = std::getenv("GIRAFFE_PROFILE") != nullptr;
    std::string backend_;
    std::map<std::string, Time> times_;
};

}  // namespace ggml
