// LiteLLM's StandardLoggingPayload of one finished call: the record every logging callback
// receives (docs/OBSERVABILITY.md lists the fields llmux fills). The request path only copies the
// call's facts (CallFacts: a few strings and the request's and answer's bytes); the exporter
// thread parses and writes the payload. Keys are named by their SHA-256, never by their value.
#pragma once

#include "base/error.hpp"
#include "config/config.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::callbacks {

struct CallFacts {
  std::string call_id;    // x-litellm-call-id
  std::string call_type;  // LiteLLM's: "acompletion", "aembedding", …
  std::string request;    // the request's body; empty when it was refused before it was read
  std::string response;   // a whole answer's body; empty for a stream or a failure
  // Who called ("" when unknown or absent).
  std::string key_hash;
  std::string key_alias;
  std::string team_id;
  std::string user_id;
  std::string end_user;
  std::string route;
  std::string user_agent;
  std::string traceparent;  // the request's W3C traceparent header, as sent
  // The deployment that answered ("" when none was reached) and the group asked for.
  std::string provider;
  std::string upstream_model;
  std::string model_id;
  std::string api_base;
  std::string model_group;
  int status = 200;
  std::optional<Error> failure;
  bool stream = false;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  double cost = 0;
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
  std::chrono::nanoseconds upstream_time{};  // the upstream call, or a stream's first frame
  bool log_messages = true;                  // false: turn_off_message_logging
  // The caller's key's (or team's) metadata.logging callbacks; nullptr when it names none.
  std::shared_ptr<const std::vector<config::LoggingCallback>> key_callbacks;

  bool succeeded() const { return status >= 200 && status < 300; }
};

std::string standard_logging_payload(const CallFacts& call);

// A call's request body parsed once (on `arena`, which must outlive it), for what the payload and
// an OTLP span read from it.
class ParsedRequest {
 public:
  ParsedRequest(const CallFacts& call, boost::json::storage_ptr arena);
  const boost::json::object& body() const;
  const boost::json::object* metadata() const;  // the request's `metadata`, as sent
  const boost::json::value* input() const;      // chat messages, a prompt, an input or a query

 private:
  boost::json::value parsed_;
};

// One member of the payload's `metadata`: a string (empty: null), JSON text, or a request value.
struct MetadataField {
  std::string_view name;
  std::string_view text;
  bool is_json = false;                       // `text` is JSON text, not a string
  const boost::json::value* value = nullptr;  // set: the member is this value
};
// The payload's `metadata` members, in order (the OTLP span has one attribute per member).
std::array<MetadataField, 9> payload_metadata(const CallFacts& call, const ParsedRequest& request);

// The payload's `hidden_params` object as JSON text (also the span's `hidden_params` attribute).
void append_hidden_params(std::string& out, const CallFacts& call);

// The payload's `model`: the upstream's name, or the group asked for when none was reached.
std::string_view payload_model(const CallFacts& call);

}  // namespace llmux::callbacks
