// LiteLLM's /user/daily/activity and /team/daily/activity: a page of the daily user or team
// aggregate rows (store/daily_spend.cpp), shaped as LiteLLM's SpendAnalyticsPaginatedResponse —
// per date, the day's metrics and their breakdown by model, model group, provider, key and user
// or team.
#pragma once

#include "admin/fields.hpp"
#include "base/error.hpp"
#include "store/store.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>

namespace llmux::admin {

struct DailyActivity {
  bool teams = false;
  std::int64_t page = 1;
  std::int64_t page_size = 50;
  std::vector<store::DailySpendRow> rows;  // the page's
  std::int64_t total_rows = 0;
  struct KeyFacts {
    std::optional<std::string> key_alias;
    std::optional<std::string> team_id;
  };
  std::map<std::string, KeyFacts> keys;                            // the page's keys
  std::map<std::string, std::optional<std::string>> team_aliases;  // the page's teams (teams)
};

// The query's fields as LiteLLM takes them: start_date and end_date (YYYY-MM-DD, both required),
// model, api_key (the key or its hash), user_id (users) or team_ids (teams, comma-separated),
// page (from 1) and page_size (1 to 1000, default 50), pages of the table's rows, newest first.
Result<DailyActivity> daily_activity(store::Store& store, FieldReader& query, bool teams);

boost::json::object daily_activity_json(const DailyActivity& activity);

}  // namespace llmux::admin
