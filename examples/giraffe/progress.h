// Progress of long work (quantize and convert per tensor, perplexity per chunk, niah per cell, a long
// prompt), drawn the same way by every command. On a terminal, one line on stderr redrawn in place:
//   [########............] 12/40 blk.3.attn_q.weight  ETA 3s
// When stderr is not a terminal (a log, a test), plain lines "[  12/  40] label": one per step, but at
// most one per 5% of the steps, so the log of a model with a thousand tensors stays short.
// Header-only so the tests drive the same code as the commands.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

namespace cli {

// "45s", "2m05s", "1h02m".
inline std::string eta_text(double seconds) {
    const long s = long(seconds + 0.5);
    char buf[32];
    if (s < 60) std::snprintf(buf, sizeof buf, "%lds", s);
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s % 3600 / 60);
    return buf;
}

// The terminal line: a bar filled to `fraction`, the step, the label (cut to fit 80 columns) and, when
// eta_s >= 0, the time left.
inline std::string bar_line(int step, int total, double fraction, const std::string& label, double eta_s) {
    constexpr int kWidth = 20;
    constexpr size_t kLabel = 36;
    const int fill = int(std::min(1.0, std::max(0.0, fraction)) * kWidth);
    std::string s = "[" + std::string(size_t(fill), '#') + std::string(size_t(kWidth - fill), '.') + "] " +
                    std::to_string(step) + "/" + std::to_string(total);
    if (!label.empty()) s += " " + (label.size() > kLabel ? label.substr(0, kLabel - 3) + "..." : label);
    if (eta_s >= 0) s += "  ETA " + eta_text(eta_s);
    return s;
}

// The piped line: "[  12/  40] label".
inline std::string plain_line(int step, int total, const std::string& label) {
    char head[48];
    std::snprintf(head, sizeof head, "[%4d/%4d]", step, total);
    return label.empty() ? head : head + (" " + label);
}

class Progress {
public:
    // Piped::Silent: nothing when piped, for a caller that prints a line of its own for every step.
    enum class Piped { Lines, Silent };

    explicit Progress(int total, Piped piped = Piped::Lines)
        : Progress(total, piped, stderr, isatty(fileno(stderr)) != 0) {}
    Progress(int total, Piped piped, std::FILE* out, bool tty)
        : total_(std::max(total, 1)), tty_(tty), lines_(piped == Piped::Lines), out_(out), start_(Clock::now()) {}
    ~Progress() { finish(); }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Step `step` (1-based) of the total is under way, and `fraction` (0 to 1) of the work is done; a
    // negative fraction stands for the steps before this one, (step - 1) / total.
    void update(int step, const std::string& label, double fraction = -1) {
        fraction_ = fraction >= 0 ? fraction : double(step - 1) / double(total_);
        const bool new_step = step != step_;
        step_ = step, label_ = label;
        if (tty_) {
            // A new step at once (the step before may have been long), finer updates 10 times a second.
            if (new_step || !shown_ || Clock::now() - drawn_ >= kRedraw) draw();
        } else if (lines_ && new_step && due(step)) {
            std::fprintf(out_, "%s\n", plain_line(step, total_, label).c_str());
            std::fflush(out_);
        }
    }

    // A line of its own (a warning, a result) to `to` (default: where the bar goes); on a terminal the
    // bar moves below it.
    void print(const std::string& line, std::FILE* to = nullptr) {
        const bool redraw = shown_;
        clear();
        if (!to) to = out_;
        std::fprintf(to, "%s\n", line.c_str());
        std::fflush(to);
        if (redraw) draw();
    }

    // Clears the bar's line, so what follows starts on a clean line.
    void finish() { clear(); }

private:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds kRedraw{100};

    // Piped: the first and last steps, and one whenever another 5% of the steps has begun.
    bool due(int step) {
        const int bucket = int(long(step) * 20 / total_);
        if (step != 1 && step != total_ && bucket <= bucket_) return false;
        bucket_ = bucket;
        return true;
    }

    void draw() {
        const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
        const double eta = fraction_ > 0 && elapsed >= 1.0 ? elapsed * (1 - fraction_) / fraction_ : -1;
        std::fprintf(out_, "\r%s\033[K", bar_line(step_, total_, fraction_, label_, eta).c_str());
        std::fflush(out_);
        shown_ = true;
        drawn_ = Clock::now();
    }

    void clear() {
        if (!shown_) return;
        std::fprintf(out_, "\r\033[K");
        std::fflush(out_);
        shown_ = false;
    }

    int total_;
    bool tty_, lines_;
    std::FILE* out_;
    Clock::time_point start_, drawn_;
    int step_ = 0, bucket_ = -1;
    double fraction_ = 0;
    std::string label_;
    bool shown_ = false;
};

}  // namespace cli
