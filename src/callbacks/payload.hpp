// LiteLLM's StandardLoggingPayload of one finished call: the record every logging callback
// receives (docs/OBSERVABILITY.md lists the fields llmux fills). The request path only copies the
// call's facts (CallFacts: a few strings and the request's and answer's bytes); the exporter
// thread writes the payload from them, copying the request's members as raw JSON text. Keys are
// named by their SHA-256, never by their value.
#pragma once

#include "api/json_scan.hpp"
#include "base/error.hpp"
#include "callbacks/trace_context.hpp"
#include "config/config.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
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
  // redact_user_api_key_info: the payload's metadata has no user_api_key_* member (the key's
  // hash and alias, team and user are then also left out of the facts).
  bool redact_key_info = false;
  // The call's span (otel, langfuse_otel), made as the call began; nullopt when no callback
  // exports spans.
  std::optional<TraceContext> trace;
  // The caller's key's (or team's) metadata.logging callbacks; nullptr when it names none.
  std::shared_ptr<const std::vector<config::LoggingCallback>> key_callbacks;

  bool succeeded() const { return status >= 200 && status < 300; }
};

std::string standard_logging_payload(const CallFacts& call);
// The same payload appended to `out` (a batch's body is written in place).
void append_standard_logging_payload(std::string& out, const CallFacts& call);
// About how many bytes the payload takes (at least that, mostly): what a batch reserves.
std::size_t payload_size_hint(const CallFacts& call);

// A call's request body read as text, without building a document: the raw JSON of the members
// the payload, a Langfuse event and a span take from it. The body is well-formed JSON (the
// request path keeps its text only after parse_request accepted it), so only strings and
// nesting are followed.
struct RequestText {
  explicit RequestText(std::string_view body);
  std::string_view body;
  std::string_view metadata;  // the request's `metadata` object, as sent; "" when none
  std::string_view input;     // chat messages, a prompt, an input or a query; "" when none
  std::string_view litellm_session_id;  // raw JSON values; "" when absent
  std::string_view litellm_trace_id;
  // The members that are OpenAI parameters of the payload's `model_parameters` list (a fixed
  // list, so that a gateway field such as a client's api_key never reaches a log), in order.
  struct Member {
    std::string_view name;
    std::string_view value;  // raw JSON
  };
  std::array<Member, 24> parameters;  // as many as the list has names
  std::size_t parameter_count = 0;
  // The last of each of these members as sent ("" when absent): a span's gen_ai.request.* and
  // llm.user attributes, read in the same pass.
  std::string_view max_tokens;
  std::string_view temperature;
  std::string_view top_p;
  std::string_view user;
  std::span<const Member> model_parameters() const { return {parameters.data(), parameter_count}; }
};

// The raw JSON of the member `name` of the well-formed JSON object `object`; "" when absent (or
// when `object` is not an object). Keys are matched as written.
std::string_view raw_member(std::string_view object, std::string_view name);
// The member's value as its JSON string literal (quotes and escapes kept) when it is a string
// other than ""; else "".
std::string_view raw_string_member(std::string_view object, std::string_view name);
// The raw JSON of the first element of the well-formed JSON array `array`; "" when it is empty
// or not an array.
std::string_view raw_first_element(std::string_view array);

// The payload's `request_tags`: the string members of the request metadata's `tags`, a JSON array.
void append_request_tags(std::string& out, const RequestText& request);

// One member of the payload's `metadata`: a string (empty: null), or JSON text.
struct MetadataField {
  std::string_view name;
  std::string_view text;
  bool is_json = false;  // `text` is JSON text, not a string
};
// The payload's `metadata` members, in order (the OTLP span has one attribute per member).
struct PayloadMetadata {
  std::array<MetadataField, 9> fields;  // the user_api_key_* ones first
  std::size_t first = 0;                // redact_key_info: past the user_api_key_* ones
  const MetadataField* begin() const { return fields.data() + first; }
  const MetadataField* end() const { return fields.data() + fields.size(); }
};
PayloadMetadata payload_metadata(const CallFacts& call, const RequestText& request);

// The call's response_cost (0 for a call that failed) and its JSON number, the double's
// shortest text: printed once for the places that carry it (the payload's two, Langfuse's three).
class CostText {
 public:
  explicit CostText(const CallFacts& call);
  double value() const { return value_; }
  std::string_view text() const { return {digits_.data(), size_}; }

 private:
  double value_;
  std::array<char, 32> digits_;
  std::size_t size_;
};

// The payload's `hidden_params` object as JSON text (also the span's `hidden_params` attribute).
void append_hidden_params(std::string& out, const CallFacts& call, const CostText& cost);

// The payload's `model`: the upstream's name, or the group asked for when none was reached.
std::string_view payload_model(const CallFacts& call);

// The payload's completionStartTime: a stream's first frame came when its upstream time ended,
// a whole answer at its end.
std::chrono::system_clock::time_point first_token_time(const CallFacts& call);

}  // namespace llmux::callbacks
