// Cache lines that a kernel asks for while it works: decode attention's kernels ask for the next step's cache
// rows while they do this step's arithmetic. Asked for all at once, the lines queue for the core's few line
// fill buffers and the arithmetic behind them waits too, so memory time and arithmetic add up; a few lines at
// each turn of the kernel's loop keep the reads going under the arithmetic instead.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ggml::cpu {

// Rows [0, rows) of `bytes` each, `ld` bytes apart from `base`: what to ask for (none by default).
struct PrefetchRows {
    const char* base = nullptr;
    size_t ld = 0, bytes = 0;
    int64_t rows = 0;
};

// Walks a PrefetchRows a 64-byte line at a time, spread evenly over `steps` calls of step(); rest() asks for
// whatever is left (a kernel whose loop ran fewer turns than it counted).
class LinePrefetcher {
public:
    LinePrefetcher(const PrefetchRows& r, int64_t steps)
        : row_(r.base), ld_(r.ld), bytes_(r.bytes), left_(r.base && r.bytes ? r.rows * int64_t((r.bytes + 63) / 64) : 0) {
        per_step_ = steps > 0 ? (left_ + steps - 1) / steps : left_;
    }
    void step() {
        walk(per_step_, [](const char* p) { __builtin_prefetch(p, 0, 2); });
    }
    void rest() {
        walk(left_, [](const char* p) { __builtin_prefetch(p, 0, 2); });
    }
    // The next `count` lines (fewer where the rows end) to fn, in order: what step() and rest() ask for.
    template <typename Fn>
    void walk(int64_t count, Fn&& fn) {
        for (; count > 0 && left_ > 0; count--, left_--) {
            fn(row_ + off_);
            off_ += 64;
            if (off_ >= bytes_) off_ = 0, row_ += ld_;
        }
    }
    int64_t left() const { return left_; }

private:
    const char* row_;
    size_t ld_, bytes_, off_ = 0;
    int64_t left_, per_step_;
};

}  // namespace ggml::cpu
