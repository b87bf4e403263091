// LiteLLM's StandardLoggingPayload of one finished call: the record every logging callback
// receives (docs/OBSERVABILITY.md lists the fields llmux fills). Keys are named by their SHA-256,
// never by their value.
#pragma once

#include "api/request.hpp"
#include "auth/authenticator.hpp"
#include "relay/relay.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace llmux::handlers {

struct LoggedCall {
  std::string_view call_id;  // x-litellm-call-id
  api::Endpoint endpoint = api::Endpoint::chat_completions;
  const api::Request* request = nullptr;  // nullptr: refused before its body was read
  const auth::Caller* caller = nullptr;   // nullptr: not identified
  std::string_view master_key_hash;
  std::string_view route;
  std::string_view user_agent;
  std::string_view end_user;
  const relay::Outcome* outcome = nullptr;
  double cost = 0;
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
  std::string_view response_body;  // a whole answer's JSON; empty for a stream or a failure
  bool log_messages = true;        // false: turn_off_message_logging
};

std::string standard_logging_payload(const LoggedCall& call);

}  // namespace llmux::handlers
