// What the files of the Bedrock provider share, and nothing outside them includes: the
// response_format tool (bedrock_request.cpp names it; both decoders unwrap its input), Converse's
// usage, and the errors of a whole answer (bedrock_response.cpp) and of a stream
// (bedrock_stream.cpp).
#pragma once

#include "api/request.hpp"
#include "api/usage.hpp"
#include "base/error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace llmux::providers::bedrock {

// response_format json_schema / json_object becomes one forced tool, as in LiteLLM: named after
// the schema (else json_tool_call); its input is the answer. Nullopt without such a format.
// Only the request's own response_format counts: decoding sees the request, not the deployment.
std::optional<std::string> json_tool_name(const api::Request& request);

// Converse TokenUsage → OpenAI usage, as LiteLLM reports it: cache reads and writes are part
// of the prompt, and reads are also prompt_tokens_details.cached_tokens. Fills `usage` and
// returns the client's usage object (empty when there is none).
boost::json::object usage_object(const boost::json::value* converse_usage, api::Usage& usage);

// An exception name (ThrottlingException, throttlingException) → the client's error kind.
std::optional<ErrorKind> kind_of_exception(std::string_view name);

// The message of an AWS error body ({"message"} or {"Message"}); empty when it has none.
std::string message_in(std::string_view body);

// Refines an error's kind from its message, as LiteLLM's Bedrock exception mapping does.
void refine_by_message(Error& error);

}  // namespace llmux::providers::bedrock
