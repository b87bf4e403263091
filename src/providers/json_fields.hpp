// Small readers and writers of JSON fields that the translating providers share: optional members
// read without exceptions, spans of members as the upstream wrote them, hand-written numbers and
// strings for the chunks built per event.
#pragma once

#include "api/json_scan.hpp"
#include "api/request.hpp"
#include "api/usage.hpp"
#include "base/json_string.hpp"
#include "providers/provider.hpp"

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmux::providers {

// `value` when it is a string (an object, an array), else empty (nullptr): absent, null or of
// another type all read the same.
std::string_view string_or_empty(const boost::json::value* value);
const boost::json::object* object_or_null(const boost::json::value* value);
const boost::json::array* array_or_null(const boost::json::value* value);

// One upstream JSON document (an answer, a stream event), parsed into an arena that starts on the
// stack, so that a small one costs no heap allocation (a fresh arena per document: see
// ARCHITECTURE.md on Boost.JSON 1.81's monotonic_resource).
class ParsedJson {
 public:
  explicit ParsedJson(std::string_view text);
  ParsedJson(const ParsedJson&) = delete;
  ParsedJson& operator=(const ParsedJson&) = delete;

  bool ok() const { return ok_; }
  const boost::json::value& value() const { return value_; }
  // The document when it is an object, else nullptr (also when it did not parse).
  const boost::json::object* object() const { return value_.if_object(); }

 private:
  unsigned char buffer_[4096];
  boost::json::monotonic_resource arena_{buffer_, sizeof buffer_};
  bool ok_ = false;
  boost::json::value value_;  // last: built in arena_
};

// The same for member `key` of `object`.
std::string_view string_at(const boost::json::object& object, std::string_view key);
const boost::json::object* object_at(const boost::json::object& object, std::string_view key);
const boost::json::array* array_at(const boost::json::object& object, std::string_view key);

// The request's value of `key`, else the deployment's default for it (litellm_params such as
// temperature); nullptr when neither gives a non-null value.
const boost::json::value* request_param(const api::Request& request, const Target& target,
                                        std::string_view key);

// The span of member `key` of the object at `object` in `text`; empty when absent.
api::Span member_span(std::string_view text, api::Span object, std::string_view key);

// The text of an OpenAI message content: a string, or the text parts of an array joined; empty
// for anything else.
std::string content_text(const boost::json::value* content);

// `text` as a JSON string literal, quotes included.
std::string quoted(std::string_view text);

// {"prompt_tokens":…,"completion_tokens":…,"total_tokens":…}, and those three members alone
// for a usage object that has more.
void append_token_counts(std::string& out, const api::Usage& usage);
void append_token_count_members(std::string& out, const api::Usage& usage);

// `{"id":…,"object":…,"created":…,"model":…` — how every OpenAI answer and chunk begins (the
// caller writes the rest).
void append_answer_head(std::string& out, std::string_view id, std::string_view object,
                        std::int64_t created, std::string_view model);

// One OpenAI tool call, `{"index":…,"id":…,"type":"function","function":{"name":…,"arguments":…}}`:
// `index` only in a stream's deltas; `arguments` is JSON text, written as the string clients parse.
void append_tool_call(std::string& out, std::optional<std::int64_t> index, std::string_view id,
                      std::string_view name, std::string_view arguments);

// OpenAI's "created" for an upstream whose answers carry no time: seconds since the epoch, now
// (or at `when`, for a provider that takes its clock as an argument).
std::int64_t unix_seconds();
std::int64_t unix_seconds(std::chrono::system_clock::time_point when);

// The message of an error whose body says nothing readable: "{who} answered with HTTP {status}",
// and the body's first bytes (valid UTF-8 only) after ": " when there is one.
std::string status_message(std::string_view who, int status, std::string_view body);

}  // namespace llmux::providers
