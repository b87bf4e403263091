// OpenTelemetry traces as LiteLLM's `otel` callback exports them: an ExportTraceServiceRequest
// in protobuf's binary encoding, or in OTLP/HTTP's JSON (the protobuf JSON mapping: hex ids, Unix
// nanoseconds as strings, integer enums), the same spans either way. One span per call, named as
// LiteLLM names its request span, carrying its gen_ai.* / llm.* / metadata.* attributes (the
// metadata.* ones are the StandardLoggingPayload's `metadata` members), with the ids of the call's
// trace context (trace_context.hpp). Written from the call's facts, without the payload's text.
#pragma once

#include "callbacks/payload.hpp"
#include "config/config.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::callbacks {

// The ExportTraceServiceRequest of these calls, in the identity's encoding: one resource, one
// scope, one span per call.
std::string otlp_traces_body(const config::OtelIdentity& identity,
                             const std::vector<const CallFacts*>& calls);
// Its Content-Type.
std::string_view otlp_content_type(const config::OtelIdentity& identity);

// How many spans a collector's answer (ExportTraceServiceResponse) says it rejected, and why:
// partialSuccess.rejectedSpans and errorMessage, in the encoding the request was sent in (a
// collector answers in it); 0 for a full success or an unreadable answer.
struct Rejection {
  std::int64_t spans = 0;
  std::string message;
};
Rejection rejected_spans(std::string_view answer, config::OtlpEncoding encoding);

}  // namespace llmux::callbacks
