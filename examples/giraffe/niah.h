// The parts of `giraffe niah` that need no model: the --lengths / --depths lists, the seeded needle, the
// score of an answer and CSV quoting. Header-only so the tests use the same code as the command.
#pragma once
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cli {
namespace niah {

constexpr int kMinLength = 64;        // shorter haystacks leave no room for filler around the needle
constexpr int kMaxLength = 1 << 24;   // the largest context a Session takes
constexpr int kNeedleDigits = 7;

// Items of a comma-separated list (empty items are errors).
inline std::vector<std::string> split_list(const std::string& flag, const std::string& s) {
    std::vector<std::string> out;
    size_t at = 0;
    while (true) {
        const size_t comma = s.find(',', at);
        std::string item = s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.pop_back();
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.erase(item.begin());
        if (item.empty()) throw std::invalid_argument(flag + " has an empty item in '" + s + "'");
        out.push_back(item);
        if (comma == std::string::npos) break;
        at = comma + 1;
    }
    return out;
}

// "1k,2k,512,32k": token counts, k = 1024. Sorted ascending, duplicates dropped.
inline std::vector<int> parse_lengths(const std::string& s) {
    std::vector<int> out;
    for (const std::string& item : split_list("--lengths", s)) {
        const bool k = item.back() == 'k' || item.back() == 'K';
        const std::string digits = k ? item.substr(0, item.size() - 1) : item;
        const bool ok = !digits.empty() && digits.size() <= 9 &&
                        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!ok) throw std::invalid_argument("--lengths: '" + item + "' is not a length in tokens (e.g. 512, 1k, 32k)");
        const long long n = std::stoll(digits) * (k ? 1024 : 1);
        if (n < kMinLength || n > kMaxLength)
            throw std::invalid_argument("--lengths: " + item + " is outside " + std::to_string(kMinLength) + " .. " +
                                        std::to_string(kMaxLength) + " tokens");
        out.push_back(int(n));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// "0,25,50": percent of the haystack where the needle goes, 0 .. 100. Sorted, duplicates dropped.
inline std::vector<int> parse_depths(const std::string& s) {
    std::vector<int> out;
    for (const std::string& item : split_list("--depths", s)) {
        const bool ok = item.size() <= 3 && std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; });
        const int d = ok ? std::stoi(item) : -1;
        if (d < 0 || d > 100) throw std::invalid_argument("--depths: '" + item + "' is not a percentage (0 .. 100)");
        out.push_back(d);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// The trial's needle: 7 digits that look random, the same for the same seed, length and depth.
inline std::string magic_number(uint64_t seed, int length, int depth) {
    uint64_t z = seed ^ (uint64_t(uint32_t(length)) << 20) ^ uint64_t(uint32_t(depth)) ^ 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;  // splitmix64's finaliser
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return std::to_string(1000000 + z % 9000000);
}

// 1 when the answer contains the needle as a whole number (digits grouped with commas count, so
// "4,839,271" matches); otherwise the longest common prefix of the needle's digits and any number in the
// answer, divided by the needle's length (0 when the answer has no digits; a longer number that starts
// with the needle's digits gets 6/7).
inline double score_answer(const std::string& answer, const std::string& needle) {
    std::vector<std::string> numbers;
    std::string cur;
    for (size_t i = 0; i < answer.size(); i++) {
        const char c = answer[i];
        if (c >= '0' && c <= '9') {
            cur += c;
        } else if (c == ',' && !cur.empty() && i + 1 < answer.size() && answer[i + 1] >= '0' && answer[i + 1] <= '9') {
            // a thousands separator: the number goes on
        } else if (!cur.empty()) {
            numbers.push_back(cur), cur.clear();
        }
    }
    if (!cur.empty()) numbers.push_back(cur);
    size_t best = 0;
    for (const std::string& n : numbers) {
        if (n == needle) return 1.0;
        size_t p = 0;
        while (p < n.size() && p < needle.size() && n[p] == needle[p]) p++;
        best = std::max(best, std::min(p, needle.size() - 1));  // only the exact number scores 1
    }
    return needle.empty() ? 0.0 : double(best) / double(needle.size());
}

// A CSV field: quoted, quotes doubled, line breaks and tabs written as \n, \r, \t so a row stays one line.
inline std::string csv_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += "\"\"";
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else out += c;
    }
    return out + "\"";
}

}  // namespace niah
}  // namespace cli
