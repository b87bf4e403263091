// Langfuse's public ingestion API (POST {LANGFUSE_HOST}/api/public/ingestion): one trace-create
// and one generation-create event per call, filled from its StandardLoggingPayload the way
// LiteLLM's langfuse callback fills them (trace_id, session_id, generation_name, tags, … from
// the request's metadata).
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace llmux::callbacks {

// The ingestion body {"batch": [...]} of these payloads.
std::string langfuse_batch(const std::vector<boost::json::object>& payloads);

// "Basic " + base64(public_key:secret_key).
std::string basic_authorization(std::string_view user, std::string_view password);

}  // namespace llmux::callbacks
