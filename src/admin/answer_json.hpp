// The pieces admin answers share: optional fields as null, lists, times as ISO-8601, and the
// budget and limit fields of a team or user.
#pragma once

#include "auth/key_cache.hpp"
#include "config/logging_metadata.hpp"
#include "store/store.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace llmux::admin {

template <class T>
boost::json::value optional_json(const std::optional<T>& value) {
  if (!value) return nullptr;
  return boost::json::value(*value);
}

boost::json::array strings_json(const std::vector<std::string>& items);

// "2026-11-26T14:48:50.123Z"; null for nullopt.
boost::json::value iso_time(std::optional<store::Millis> millis);

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
  answer["metadata"] = config::masked_logging_metadata(record.metadata);
}

// A team as /team/info, /team/list and /user/info show it, its spend the live one of `cache`
// (ahead of the database until the next flush; nullptr: the database's).
boost::json::object team_json(const store::TeamRecord& team, const auth::KeyCache* cache);

}  // namespace llmux::admin
