// JSON string literals written by hand where building a document would cost more than the text.
#pragma once

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace llmux {

// The first position at or after `pos` whose byte a JSON string cannot hold as it is: a quote, a
// backslash or a control character, and with `stop_at_non_ascii` also any byte >= 0x80 (where a
// validating scan must look at UTF-8). `text.size()` when there is none. Sixteen bytes at a time
// with SSE2 (every x86-64 has it), else eight at a time in a 64-bit word (SWAR: the lowest
// flagged lane is exact, as borrows only ever flag lanes above a real match).
inline std::size_t find_json_string_stop(std::string_view text, std::size_t pos,
                                         bool stop_at_non_ascii) {
  const char* const data = text.data();
  const std::size_t size = text.size();
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i below_space = _mm_set1_epi8(0x20 - 0x80);  // compared after shifting to signed
  const __m128i bias = _mm_set1_epi8(static_cast<char>(0x80));
  for (; pos + 16 <= size; pos += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + pos));
    const __m128i control =
        _mm_cmplt_epi8(_mm_xor_si128(bytes, bias), below_space);  // unsigned < 0x20
    const __m128i special = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)), control);
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
    if (stop_at_non_ascii) mask |= static_cast<unsigned>(_mm_movemask_epi8(bytes));
    if (mask != 0) return pos + static_cast<std::size_t>(std::countr_zero(mask));
  }
#else
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHighs = 0x8080808080808080ull;
  const std::uint64_t non_ascii_mask = stop_at_non_ascii ? kHighs : 0;
  for (; pos + 8 <= size; pos += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + pos, 8);
    const auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
    const std::uint64_t stops = has_zero(word ^ (kOnes * '"')) | has_zero(word ^ (kOnes * '\\')) |
                                ((word - kOnes * 0x20) & ~word & kHighs) | (word & non_ascii_mask);
    if (stops != 0) return pos + static_cast<std::size_t>(std::countr_zero(stops)) / 8;
  }
#endif
  for (; pos < size; ++pos) {
    const auto c = static_cast<unsigned char>(data[pos]);
    if (c < 0x20 || c == '"' || c == '\\' || (stop_at_non_ascii && c >= 0x80)) return pos;
  }
  return size;
}

// Appends `value` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view value);
// Appends `value`'s characters as a JSON string literal holds them (escaped), without the
// quotes: a literal written in parts.
void append_json_string_characters(std::string& out, std::string_view value);

// Appends a JSON number without a temporary string: an integer in decimal, a double as the
// shortest text that reads back as the same value (what Python's repr prints, as LiteLLM does).
void append_number(std::string& out, std::int64_t value);
void append_number(std::string& out, double value);
// Other integer types, widened (an int is otherwise as near to double as to std::int64_t).
template <std::integral Integer>
requires(!std::same_as<Integer, std::int64_t>) void append_number(std::string& out, Integer value) {
  append_number(out, static_cast<std::int64_t>(value));
}

// Length of the well-formed UTF-8 sequence that starts at `pos`, or 0 when it is not one
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

// Appends at most `max_bytes` of `text`, cut only between characters, with each byte that is
// not part of valid UTF-8 replaced by U+FFFD: upstream bytes quoted in an error stay valid JSON.
void append_valid_utf8(std::string& out, std::string_view text, std::size_t max_bytes);

}  // namespace llmux
