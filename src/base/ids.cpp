#include "base/ids.hpp"

#include <cstdint>
#include <random>

namespace llmux {

namespace {

std::uint64_t next_random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

void append_hex(std::string& out, std::uint64_t value, int digits) {
  constexpr char kHex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 15];
}

}  // namespace

std::string make_uuid() {
  const std::uint64_t high = (next_random() & ~0xF000ull) | 0x4000ull;  // version 4
  const std::uint64_t low = (next_random() & ~(3ull << 62)) | (2ull << 62);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  append_hex(out, high >> 32, 8);
  out += '-';
  append_hex(out, (high >> 16) & 0xFFFF, 4);
  out += '-';
  append_hex(out, high & 0xFFFF, 4);
  out += '-';
  append_hex(out, low >> 48, 4);
  out += '-';
  append_hex(out, low & 0xFFFFFFFFFFFFull, 12);
  return out;
}

std::string make_object_id(std::string_view prefix) {
  std::string out(prefix);
  append_hex(out, next_random(), 16);
  append_hex(out, next_random(), 8);
  return out;
}

}  // namespace llmux
