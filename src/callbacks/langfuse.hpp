// Langfuse's public ingestion API (POST {LANGFUSE_HOST}/api/public/ingestion): one trace-create
// and one generation-create event per call, filled the way LiteLLM's langfuse callback fills
// them from the StandardLoggingPayload (trace_id, session_id, generation_name, tags, … from the
// request's metadata). Written from the call's facts, the request's members copied as raw JSON.
#pragma once

#include "callbacks/payload.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace llmux::callbacks {

// The ingestion body {"batch": [...]} of these calls.
std::string langfuse_batch(const std::vector<const CallFacts*>& calls);

// "Basic " + base64(public_key:secret_key).
std::string basic_authorization(std::string_view user, std::string_view password);

}  // namespace llmux::callbacks
