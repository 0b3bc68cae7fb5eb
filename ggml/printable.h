// Text taken from a file (a key, a tensor name, a JSON value), made safe for a one-line error message:
// control bytes escaped as \xNN, anything past `max` bytes cut and marked "...".
#pragma once
#include <cstdio>
#include <string>

namespace ggml {

inline std::string printable(const std::string& s, size_t max = 120) {
    std::string r;
    for (size_t i = 0; i < s.size() && i < max; i++) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            r += buf;
        } else {
            r += char(c);
        }
    }
    if (s.size() > max) r += "...";
    return r;
}

}  // namespace ggml
