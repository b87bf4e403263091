#include "base/ids.hpp"

#include <chrono>
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

std::string uuid_text(std::uint64_t high, std::uint64_t low) {
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

std::uint64_t with_variant(std::uint64_t low) {
  return (low & ~(3ull << 62)) | (2ull << 62);
}  // RFC 4122

}  // namespace

std::string make_uuid() {
  return uuid_text((next_random() & ~0xF000ull) | 0x4000ull,
                   with_variant(next_random()));  // version 4
}

std::string make_time_ordered_uuid() {
  return make_time_ordered_uuid(std::chrono::system_clock::now());
}

std::string make_time_ordered_uuid(std::chrono::system_clock::time_point at) {
  const auto millis = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count());
  const std::uint64_t high = (millis << 16) | 0x7000ull | (next_random() & 0x0FFFull);  // version 7
  return uuid_text(high, with_variant(next_random()));
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
