// Reading an admin request's fields — a JSON body or a query string — one by one, with LiteLLM's
// 400s, and applying the budget and limit fields keys, teams and users share.
#pragma once

#include "base/error.hpp"
#include "config/logging_metadata.hpp"
#include "store/store.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::admin {

// Reads fields of a request body (or query string, as strings); the first malformed field is
// kept as `error` and later reads return nothing.
class FieldReader {
 public:
  // Body text; anything but a JSON object (an empty body is {}) is an error.
  static FieldReader from_body(std::string_view body);
  // The query of a request target ("/key/info?key=…"): every value a string.
  static FieldReader from_query(std::string_view target);

  bool has(std::string_view name) const;
  std::optional<std::string> text(std::string_view name);
  std::optional<double> number(std::string_view name);
  std::optional<std::int64_t> integer(std::string_view name);
  std::optional<bool> boolean(std::string_view name);
  std::optional<std::vector<std::string>> strings(std::string_view name);
  std::optional<boost::json::object> object(std::string_view name);
  // A duration as LiteLLM writes it: "30s", "30m", "30h", "30d", "2w", "1mo".
  std::optional<std::string> duration(std::string_view name);

  // The field as sent (nullptr when absent or null), for shapes the readers above do not cover.
  const boost::json::value* raw(std::string_view name) const { return field(name); }
  // A field the readers above accepted but a rule refused; kept unless an earlier one was.
  void refuse(Error error);

  const std::optional<Error>& error() const { return error_; }

 private:
  const boost::json::value* field(std::string_view name) const;
  void fail(std::string_view name, std::string_view expected);

  boost::json::object fields_;
  std::optional<Error> error_;
};

// budget_duration (keys, teams, users, end users): when the request names it, sets the window
// and schedules its first reset from `now`; null clears both.
void apply_budget_duration(FieldReader& fields, std::optional<std::string>& duration,
                           std::optional<store::Millis>& reset_at, store::Millis now);

// The budget and limit fields keys, teams and users share: each one the request names is set
// (null clears it). A malformed one is left in `fields.error()`.
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
  if (const auto* logging = record.metadata.if_contains("logging")) {
    if (auto checked = config::check_logging_metadata(*logging); !checked)
      fields.refuse(std::move(checked.error()));
  }
}

// "2026-11-26", "2026-11-26T14:48:50Z" or Unix seconds → Unix milliseconds.
std::optional<store::Millis> parse_time(std::string_view text);

}  // namespace llmux::admin
