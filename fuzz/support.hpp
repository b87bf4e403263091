// What the fuzz targets share: the input as text, the pieces a stream would arrive in, and checks
// whose failure is a finding like a crash (a wrong answer, not only a bad read).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace llmux::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Stops the run with `what`: libFuzzer keeps the input that caused it.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz check failed: %s\n", what);
  std::abort();
}

inline void check(bool holds, const char* what) {
  if (!holds) fail(what);
}

// True when `part` is a view into `whole` (or empty): views a parser hands out must not point
// elsewhere.
inline bool lies_within(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  const auto* begin = whole.data();
  return part.data() >= begin && part.data() + part.size() <= begin + whole.size();
}

// `text` cut into pieces of 1 to 64 bytes, the cuts chosen by a hash of the text itself: a parser
// fed the pieces meets splits anywhere (inside a CRLF, a length prefix, a UTF-8 sequence), and the
// same input always splits the same way, so a finding replays.
inline std::vector<std::string_view> pieces(std::string_view text) {
  std::uint64_t state = 0xcbf29ce484222325u;  // FNV-1a of the text seeds an xorshift
  for (const char c : text) state = (state ^ static_cast<unsigned char>(c)) * 0x100000001b3u;
  std::vector<std::string_view> result;
  while (!text.empty()) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    const std::size_t size = std::min<std::size_t>(text.size(), 1 + state % 64);
    result.push_back(text.substr(0, size));
    text.remove_prefix(size);
  }
  return result;
}

}  // namespace llmux::fuzz
