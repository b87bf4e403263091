// What the management routes (/key/*, /spend/*, /global/spend*) share: reading a JSON body or a
// query string field by field with LiteLLM's 400s, times as ISO-8601, and the admin check.
#pragma once

#include "auth/authenticator.hpp"
#include "base/error.hpp"
#include "store/store.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::handlers {

// Reads fields of a request body (or query string, as strings); the first malformed field is
// kept as `error` and later reads return nothing.
class FieldReader {
 public:
  // Body text; anything but a JSON object (an empty body is {}) is an error.
  static FieldReader from_body(std::string_view body);
  // The query of a request target ("/key/info?key=…"): every value a string.
  static FieldReader from_query(std::string_view target);

  bool has(std::string_view name) const;
  // Present but null counts as "set to nothing" (update clears the field).
  bool is_null(std::string_view name) const;
  std::optional<std::string> text(std::string_view name);
  std::optional<double> number(std::string_view name);
  std::optional<std::int64_t> integer(std::string_view name);
  std::optional<bool> boolean(std::string_view name);
  std::optional<std::vector<std::string>> strings(std::string_view name);
  std::optional<boost::json::object> object(std::string_view name);

  // The field as sent (nullptr when absent or null), for shapes the readers above do not cover.
  const boost::json::value* raw(std::string_view name) const { return field(name); }

  const std::optional<Error>& error() const { return error_; }

 private:
  const boost::json::value* field(std::string_view name) const;
  void fail(std::string_view name, std::string_view expected);

  boost::json::object fields_;
  std::optional<Error> error_;
};

// budget_duration (keys and teams): when the request names it, sets the window and schedules
// its first reset from `now`; null clears both. Throws Error (400) for a malformed duration.
void apply_budget_duration(FieldReader& fields, std::optional<std::string>& duration,
                           std::optional<store::Millis>& reset_at, store::Millis now);

// The budget and limit fields keys, teams and users share: each one the request names is set
// (null clears it). Throws Error (400) for a malformed budget_duration; other malformed fields
// are left in `fields.error()`.
template <class Record>
void apply_budget_and_limits(FieldReader& fields, Record& record, store::Millis now) {
  auto set_if_named = [&](std::string_view name, auto& target, auto read) {
    if (fields.has(name)) target = (fields.*read)(name);
  };
  set_if_named("max_budget", record.max_budget, &FieldReader::number);
  set_if_named("tpm_limit", record.tpm_limit, &FieldReader::integer);
  set_if_named("rpm_limit", record.rpm_limit, &FieldReader::integer);
  set_if_named("max_parallel_requests", record.max_parallel_requests, &FieldReader::integer);
  apply_budget_duration(fields, record.budget_duration, record.budget_reset_at, now);
  if (fields.has("models"))
    record.models = fields.strings("models").value_or(std::vector<std::string>{});
  if (fields.has("metadata"))
    record.metadata = fields.object("metadata").value_or(boost::json::object{});
}

template <class T>
boost::json::value optional_json(const std::optional<T>& value) {
  if (!value) return nullptr;
  return boost::json::value(*value);
}

boost::json::array strings_json(const std::vector<std::string>& items);

// "2026-11-26T14:48:50.123Z"; null for nullopt.
boost::json::value iso_time(std::optional<store::Millis> millis);
// "2026-11-26", "2026-11-26T14:48:50Z" or Unix seconds → Unix milliseconds.
std::optional<store::Millis> parse_time(std::string_view text);

// The budget and limit fields of a team or user answer (/team/info, /user/info, …), added to it.
template <class Record>
void add_budget_and_limits_json(boost::json::object& answer, const Record& record) {
  answer["max_budget"] = optional_json(record.max_budget);
  answer["budget_duration"] = optional_json(record.budget_duration);
  answer["budget_reset_at"] = iso_time(record.budget_reset_at);
  answer["models"] = strings_json(record.models);
  answer["tpm_limit"] = optional_json(record.tpm_limit);
  answer["rpm_limit"] = optional_json(record.rpm_limit);
  answer["max_parallel_requests"] = optional_json(record.max_parallel_requests);
  answer["metadata"] = record.metadata;
}

// LiteLLM's 401 for a virtual key on an admin route.
Error admin_only(std::string_view route);

}  // namespace llmux::handlers
