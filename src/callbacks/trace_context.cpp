#include "callbacks/trace_context.hpp"

#include <algorithm>
#include <cstdint>
#include <random>

namespace llmux::callbacks {

namespace {

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

// Ids only need to be unique, not secret: a per-thread generator seeded once from the OS. Fills
// `hex` with random lowercase hex digits, never all zero (invalid in W3C and OTLP).
template <std::size_t Digits>
void random_hex(std::array<char, Digits>& hex) {
  static_assert(Digits % 16 == 0, "whole 64-bit words");
  thread_local std::mt19937_64 generator{std::random_device{}()};
  constexpr char kDigits[] = "0123456789abcdef";
  std::uint64_t any = 0;
  for (std::size_t done = 0; done < Digits; done += 16) {
    const std::uint64_t word = generator();
    any |= word;
    for (std::size_t i = 0; i < 16; ++i) hex[done + i] = kDigits[(word >> (4 * i)) & 0xf];
  }
  if (any == 0) random_hex(hex);
}

}  // namespace

std::optional<TraceParent> parse_traceparent(std::string_view header) {
  // version "-" trace-id "-" parent-id "-" flags; a later version may append "-" and more.
  if (header.size() < 55 || header[2] != '-' || header[35] != '-' || header[52] != '-')
    return std::nullopt;
  const std::string_view version = header.substr(0, 2);
  const std::string_view trace_id = header.substr(3, 32);
  const std::string_view span_id = header.substr(36, 16);
  const std::string_view flags = header.substr(53, 2);
  if (!is_lower_hex(version) || version == "ff" || !is_lower_hex(trace_id) ||
      !is_lower_hex(span_id) || !is_lower_hex(flags) || all_zero(trace_id) || all_zero(span_id))
    return std::nullopt;
  if (version == "00" ? header.size() != 55 : header.size() > 55 && header[55] != '-')
    return std::nullopt;
  return TraceParent{trace_id, span_id};
}

TraceContext trace_context(std::string_view client_traceparent) {
  TraceContext context;
  if (const std::optional<TraceParent> caller = parse_traceparent(client_traceparent)) {
    std::copy(caller->trace_id.begin(), caller->trace_id.end(), context.trace_id.begin());
    context.parent_span_id.emplace();
    std::copy(caller->span_id.begin(), caller->span_id.end(), context.parent_span_id->begin());
  } else {
    random_hex(context.trace_id);
  }
  random_hex(context.span_id);
  auto out = context.upstream_traceparent.begin();
  out = std::copy_n("00-", 3, out);
  out = std::copy(context.trace_id.begin(), context.trace_id.end(), out);
  *out++ = '-';
  out = std::copy(context.span_id.begin(), context.span_id.end(), out);
  std::copy_n("-01", 3, out);
  return context;
}

}  // namespace llmux::callbacks
