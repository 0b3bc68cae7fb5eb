// UTF-8 and the few Unicode properties the tokenizers need: code point categories for the
// pre-tokenizer regexes (\p{L}, \p{N}, \s) and GPT-2's byte <-> printable-character mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace giraffe::unicode {

// One range of code points sharing a category flag (generated table in unicode_data.cpp).
struct CategoryRange {
    uint32_t first, last;
    uint8_t flags;
};
extern const CategoryRange kCategoryRanges[];
extern const size_t kCategoryRangeCount;

enum : uint8_t { kLetter = 1, kNumber = 2, kWhitespace = 4 };

// Category flags of a code point (kLetter, kNumber, kWhitespace, or 0).
uint8_t flags(uint32_t cp);
inline bool is_letter(uint32_t cp) { return flags(cp) & kLetter; }
inline bool is_number(uint32_t cp) { return flags(cp) & kNumber; }
// The Unicode White_Space property (what \s matches in Unicode regex engines).
bool is_whitespace(uint32_t cp);

// Length of the UTF-8 sequence that starts with byte b (1 for a stray continuation or invalid byte).
size_t utf8_len(uint8_t b);
// Decodes the code point at s[i] and advances i. An invalid or truncated sequence yields U+FFFD and
// advances by one byte, so decoding always makes progress.
uint32_t utf8_decode(const std::string& s, size_t& i);
// Appends the UTF-8 encoding of cp.
void utf8_append(std::string& out, uint32_t cp);
std::string utf8_encode(uint32_t cp);
// Splits s into its UTF-8 characters (invalid bytes become one-byte pieces).
std::vector<std::string> utf8_chars(const std::string& s);
// Number of bytes at the end of s that form an incomplete (so far valid) UTF-8 sequence: 0 when s ends
// on a character boundary.
size_t utf8_incomplete_tail(const std::string& s);
// Whether s is entirely valid UTF-8.
bool utf8_valid(const std::string& s);

// GPT-2's byte-level alphabet: each byte maps to a printable code point.
uint32_t byte_to_cp(uint8_t b);
// Inverse of byte_to_cp; -1 if cp is not in the alphabet.
int cp_to_byte(uint32_t cp);

}  // namespace giraffe::unicode
