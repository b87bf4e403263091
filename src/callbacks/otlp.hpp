// OpenTelemetry traces as LiteLLM's `otel` callback exports them, encoded as OTLP/HTTP JSON (the
// protobuf JSON mapping of ExportTraceServiceRequest: hex ids, Unix nanoseconds as strings,
// integer enums). One span per call, named as LiteLLM names its request span, carrying its
// gen_ai.* / llm.* / metadata.* attributes (the metadata.* ones are the StandardLoggingPayload's
// `metadata` members); a call whose request came with a W3C `traceparent` is a child of the
// caller's span. Written from the call's facts, without the payload's text.
#pragma once

#include "callbacks/payload.hpp"
#include "config/config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::callbacks {

// The caller's span as a W3C traceparent header names it (lowercase hex).
struct TraceParent {
  std::string trace_id;  // 32 hex digits
  std::string span_id;   // 16 hex digits
};

// nullopt for an absent or invalid header (the call then starts a trace of its own).
std::optional<TraceParent> parse_traceparent(std::string_view header);

// The ExportTraceServiceRequest of these calls: one resource, one scope, one span per call.
std::string otlp_traces_body(const config::OtelIdentity& identity,
                             const std::vector<const CallFacts*>& calls);

// How many spans a collector's answer (ExportTraceServiceResponse) says it rejected, and why:
// partialSuccess.rejectedSpans and errorMessage; 0 for a full success or an unreadable answer.
struct Rejection {
  std::int64_t spans = 0;
  std::string message;
};
Rejection rejected_spans(std::string_view answer);

}  // namespace llmux::callbacks
