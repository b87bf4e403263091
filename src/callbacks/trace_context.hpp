// A call's place in a W3C Trace Context trace: the span llmux exports for it (otel,
// langfuse_otel) and the traceparent its upstream requests carry, so that the caller's span, the
// call's span and the upstream's spans are one trace. Made on the request path when the call
// begins (its upstream requests need it), read by the exporter's thread when the span is written.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace llmux::callbacks {

// The caller's span as a W3C traceparent header names it (lowercase hex, views of the header).
struct TraceParent {
  std::string_view trace_id;  // 32 hex digits
  std::string_view span_id;   // 16 hex digits
};

// nullopt for an absent or invalid header (the call then starts a trace of its own).
std::optional<TraceParent> parse_traceparent(std::string_view header);

struct TraceContext {
  std::array<char, 32> trace_id{};  // lowercase hex: the caller's trace, or a new one
  std::array<char, 16> span_id{};   // the call's span
  std::optional<std::array<char, 16>> parent_span_id;  // the caller's span
  // "00-<trace_id>-<span_id>-01": the call's span as the parent of the upstream's; sampled, as
  // llmux exports every call's span.
  std::array<char, 55> upstream_traceparent{};

  std::string_view upstream_header() const {
    return {upstream_traceparent.data(), upstream_traceparent.size()};
  }
};

// The call's context: in the caller's trace, under its span, when `client_traceparent` is a valid
// header; else in a new trace. Its span id is new either way.
TraceContext trace_context(std::string_view client_traceparent);

}  // namespace llmux::callbacks
