#include "unicode.h"

#include <algorithm>
#include <array>

namespace giraffe::unicode {

bool is_whitespace(uint32_t cp) {
    if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    if (cp < 0x85) return false;
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

uint8_t flags(uint32_t cp) {
    uint8_t f = is_whitespace(cp) ? kWhitespace : 0;
    if (cp < 0x80) {  // fast path
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') return f | kLetter;
        if (cp >= '0' && cp <= '9') return f | kNumber;
        return f;
    }
    const CategoryRange* end = kCategoryRanges + kCategoryRangeCount;
    const CategoryRange* it =
        std::upper_bound(kCategoryRanges, end, cp, [](uint32_t c, const CategoryRange& r) { return c < r.first; });
    if (it != kCategoryRanges && cp <= (it - 1)->last) f |= (it - 1)->flags;
    return f;
}

size_t utf8_len(uint8_t b) {
    if (b < 0x80) return 1;
    if ((b & 0xE0) == 0xC0) return 2;
    if ((b & 0xF0) == 0xE0) return 3;
    if ((b & 0xF8) == 0xF0) return 4;
    return 1;
}

// Length of the valid sequence at s[i], or 0 if it is invalid or truncated.
static size_t valid_seq_len(const std::string& s, size_t i) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    size_t n = utf8_len(b);
    if (n == 1) return b < 0x80 ? 1 : 0;
    if (i + n > s.size()) return 0;
    uint32_t cp = b & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
        const uint8_t c = static_cast<uint8_t>(s[i + k]);
        if ((c & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (c & 0x3F);
    }
    static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

uint32_t utf8_decode(const std::string& s, size_t& i) {
    const size_t n = valid_seq_len(s, i);
    if (n == 0) {
        ++i;
        return 0xFFFD;
    }
    const uint8_t b = static_cast<uint8_t>(s[i]);
    uint32_t cp = n == 1 ? b : (b & (0x7F >> n));
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
    i += n;
    return cp;
}

void utf8_append(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string utf8_encode(uint32_t cp) {
    std::string s;
    utf8_append(s, cp);
    return s;
}

std::vector<std::string> utf8_chars(const std::string& s) {
    std::vector<std::string> out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        size_t n = valid_seq_len(s, i);
        if (n == 0) n = 1;
        out.emplace_back(s, i, n);
        i += n;
    }
    return out;
}

bool utf8_valid(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
        const size_t n = valid_seq_len(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

size_t utf8_incomplete_tail(const std::string& s) {
    // Look back at most 3 bytes for the lead byte of a sequence that runs past the end.
    const size_t n = s.size();
    for (size_t back = 1; back <= 3 && back <= n; ++back) {
        const uint8_t b = static_cast<uint8_t>(s[n - back]);
        if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
        const size_t len = utf8_len(b);
        if (len > back && b >= 0xC0) {
            // The bytes present must all be continuations (they are, by the loop) and form a prefix that
            // could still become valid: check the second byte's range for the lead bytes that restrict it.
            if (back >= 2) {
                const uint8_t c = static_cast<uint8_t>(s[n - back + 1]);
                if ((b == 0xE0 && c < 0xA0) || (b == 0xED && c > 0x9F) || (b == 0xF0 && c < 0x90) ||
                    (b == 0xF4 && c > 0x8F) || b > 0xF4 || b == 0xC0 || b == 0xC1)
                    return 0;
            } else if (b > 0xF4 || b == 0xC0 || b == 0xC1) {
                return 0;
            }
            return back;
        }
        return 0;
    }
    return 0;
}

namespace {
struct ByteTables {
    std::array<uint32_t, 256> to_cp{};
    std::array<int16_t, 512> from_cp{};  // every code point of the alphabet is < 0x144
    ByteTables() {
        from_cp.fill(-1);
        uint32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            to_cp[b] = printable ? static_cast<uint32_t>(b) : next++;
            from_cp[to_cp[b]] = static_cast<int16_t>(b);
        }
    }
};
const ByteTables& byte_tables() {
    static const ByteTables t;
    return t;
}
}  // namespace

uint32_t byte_to_cp(uint8_t b) { return byte_tables().to_cp[b]; }

int cp_to_byte(uint32_t cp) { return cp < 512 ? byte_tables().from_cp[cp] : -1; }

}  // namespace giraffe::unicode
