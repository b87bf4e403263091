#include "base/ids.hpp"

#include <cstdint>
#include <random>

namespace llmux {

namespace {

std::uint64_t next_random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

// Writes `digits` hex digits of `value` (most significant first) at `out`; returns the end.
char* write_hex(char* out, std::uint64_t value, int digits) {
  constexpr char kHex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) *out++ = kHex[(value >> shift) & 15];
  return out;
}

}  // namespace

std::string make_uuid() {
  const std::uint64_t high = (next_random() & ~0xF000ull) | 0x4000ull;  // version 4
  const std::uint64_t low = (next_random() & ~(3ull << 62)) | (2ull << 62);  // RFC 4122 variant
  char text[36];
  char* out = write_hex(text, high >> 32, 8);
  *out++ = '-';
  out = write_hex(out, (high >> 16) & 0xFFFF, 4);
  *out++ = '-';
  out = write_hex(out, high & 0xFFFF, 4);
  *out++ = '-';
  out = write_hex(out, low >> 48, 4);
  *out++ = '-';
  write_hex(out, low & 0xFFFFFFFFFFFFull, 12);
  return std::string(text, sizeof text);
}

std::string make_object_id(std::string_view prefix) {
  char digits[24];
  write_hex(write_hex(digits, next_random(), 16), next_random(), 8);
  std::string out;
  out.reserve(prefix.size() + sizeof digits);
  out += prefix;
  out.append(digits, sizeof digits);
  return out;
}

}  // namespace llmux
