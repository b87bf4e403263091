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
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace llmux::providers {

// `value` when it is a string (an object, an array), else empty (nullptr): absent, null or of
// another type all read the same.
std::string_view string_or_empty(const boost::json::value* value);
const boost::json::object* object_or_null(const boost::json::value* value);
const boost::json::array* array_or_null(const boost::json::value* value);

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

// OpenAI's "created" for an upstream whose answers carry no time: seconds since the epoch, now.
std::int64_t unix_seconds();

}  // namespace llmux::providers
