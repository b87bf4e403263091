#include "store/store.hpp"
#include "manual_clock.hpp"
#include "store/migrations.hpp"
#include "store/service.hpp"
#include "support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace llmux::store {
namespace {

const std::vector<std::string> kInjections = {"x'; DROP TABLE llmux_keys; --",
                                              "' OR '1'='1",
                                              "\"); DELETE FROM llmux_spend_logs; --",
                                              "?",
                                              "$1",
                                              "\\",
                                              "é中"};

TEST(DatabaseUrlSecrets, TheUrlAndItsPasswordAsWrittenAndDecodedAreMasked) {
  const SecretMask mask =
      database_url_secrets("postgresql://llmux:s3cret%2Fpassword@db.example:5432/llmux");
  std::string text =
      "cannot connect to postgresql://llmux:s3cret%2Fpassword@db.example:5432/llmux; "
      "password s3cret/password refused, s3cret%2Fpassword too; host db.example";
  mask.apply(text);
  EXPECT_EQ(text,
            "cannot connect to [redacted]; password [redacted] refused, [redacted] too; "
            "host db.example");
  std::string without_password = "postgresql://llmux@127.0.0.1:5432/llmux is away";
  database_url_secrets("postgresql://llmux@127.0.0.1:5432/llmux").apply(without_password);
  EXPECT_EQ(without_password, "[redacted] is away");
}

TEST_F(StoreTest, MigrationsRunOnceAndRecordTheirVersion) {
  {
    auto database = open_sqlite(path());
    EXPECT_EQ(migrate(*database), static_cast<int>(kMigrations.size()));
  }
  auto database = open_sqlite(path());
  EXPECT_EQ(migrate(*database), 0);
  const auto rows = database->query("SELECT MAX(version) FROM llmux_schema_migrations");
  EXPECT_EQ(rows.front().integer(0), kMigrations.back().version);
  EXPECT_EQ(database->query("PRAGMA journal_mode").front().text(0), "wal");
}

// A spend log left by schema version 1 (text ids) keeps every row, in time order, when it moves
// to database-assigned integer ids; rows written afterwards follow them.
TEST_F(StoreTest, SpendLogOfVersionOneSurvivesTheMoveToIntegerIds) {
  auto database = open_sqlite(path());
  database->execute_script(
      "CREATE TABLE llmux_schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
      "applied_at BIGINT NOT NULL)");
  database->execute_script(kMigrations.front().sql);
  database->query("INSERT INTO llmux_schema_migrations VALUES (1, '0001_init.sql', 0)");
  for (const std::int64_t second : {2, 1}) {  // inserted out of time order, as batches can be
    database->query(
        "INSERT INTO llmux_spend_logs (id, request_id, call_type, api_key, spend, prompt_tokens, "
        "completion_tokens, "
        "total_tokens, start_time, end_time, model, model_group, model_id, custom_llm_provider, "
        "status) "
        "VALUES (?, ?, 'acompletion', 'k', 0.5, 1, 2, 3, ?, ?, 'm', 'g', 'd', 'openai', 'success')",
        {"9b1deb4d-" + std::to_string(second), "req-" + std::to_string(second), second * 1000,
         second * 1000 + 1});
  }
  EXPECT_EQ(migrate(*database), static_cast<int>(kMigrations.size()) - 1);

  const auto rows = database->query("SELECT id, request_id FROM llmux_spend_logs ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].integer(0), 1);
  EXPECT_EQ(rows[0].text(1), "req-1");
  EXPECT_EQ(rows[1].integer(0), 2);
  EXPECT_EQ(rows[1].text(1), "req-2");

  Store store(std::move(database));
  store.write_spend("b1", {event_for("3", "k", 0.25)});
  const auto page = store.spend_logs({.api_key = "k"});
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].request_id, "req-3");  // start_time 5000: the newest
  EXPECT_EQ(page[1].request_id, "req-2");
  EXPECT_EQ(page[2].request_id, "req-1");
  EXPECT_EQ(store.database().query("SELECT MAX(id) FROM llmux_spend_logs").front().integer(0), 3);
  // The log written before the daily aggregates existed was summed into them by their migration.
  EXPECT_NEAR(store.total_spend(std::nullopt, std::nullopt), 1.25, 1e-12);
  const auto report = store.spend_report("api_key", 0, 10'000);
  ASSERT_EQ(report.size(), 2u);
  EXPECT_EQ(report[0].group, "k");
  EXPECT_EQ(report[0].model, "g");
  EXPECT_EQ(report[0].requests, 2);
  EXPECT_EQ(report[0].total_tokens, 6);
  EXPECT_EQ(report[1].model, "m");
  EXPECT_EQ(report[1].requests, 1);
}

TEST_F(StoreTest, KeysRoundTripAndUpdateLeavesSpendAlone) {
  Store store(open_sqlite(path()));
  KeyRecord key = key_named("t1");
  key.key_alias = "alias";
  key.models = {"gpt-4o", "openai/*"};
  key.max_budget = 2.5;
  key.metadata["team"] = "a";
  key.tags = {"x"};
  key.rpm_limit = 10;
  store.insert_key(key);
  store.write_spend("b1", {event_for("e1", "t1", 0.5)});

  auto found = store.find_key("t1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->models, key.models);
  EXPECT_EQ(found->max_budget, 2.5);
  EXPECT_EQ(found->metadata.at("team"), "a");
  EXPECT_EQ(found->rpm_limit, 10);
  EXPECT_FALSE(found->tpm_limit);
  EXPECT_DOUBLE_EQ(found->spend, 0.5);

  found->models = {"other"};
  found->max_budget.reset();
  found->spend = 99;  // not written by update_key
  store.update_key(*found);
  auto updated = store.find_key_by_alias("alias");
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->models, std::vector<std::string>{"other"});
  EXPECT_FALSE(updated->max_budget);
  EXPECT_DOUBLE_EQ(updated->spend, 0.5);

  EXPECT_THROW(store.insert_key([] {
    KeyRecord duplicate = key_named("t2");
    duplicate.key_alias = "alias";
    return duplicate;
  }()),
               DatabaseError);
  EXPECT_EQ(store.delete_key("t1"), 1);
  EXPECT_EQ(store.delete_key("t1"), 0);
  EXPECT_FALSE(store.find_key("t1"));
}

TEST_F(StoreTest, InjectionTextIsStoredVerbatimEverywhere) {
  Store store(open_sqlite(path()));
  int n = 0;
  for (const auto& text : kInjections) {
    KeyRecord key = key_named(text);
    key.key_alias = text;
    key.user_id = key.team_id = text;
    key.models = key.tags = {text};
    key.metadata[text] = text;
    store.insert_key(key);
    auto found = store.find_key(text);
    ASSERT_TRUE(found) << text;
    EXPECT_EQ(found->user_id, text);
    EXPECT_EQ(found->models, std::vector<std::string>{text});
    EXPECT_EQ(found->metadata.at(text).as_string(), text);
    EXPECT_EQ(store.count_keys(text, text, text), 1);
    EXPECT_EQ(store.list_keys(text, std::nullopt, std::nullopt, 10, 0).size(), 1u);
    SpendEvent event = event_for("id" + std::to_string(n), text, 1);
    event.user_id = event.team_id = event.end_user = text;
    event.tags = {text};
    ASSERT_TRUE(store.write_spend("batch" + std::to_string(n++), {event}));
    EXPECT_EQ(store.spend_logs({.user_id = text}).size(), 1u);
    EXPECT_EQ(store.spend_logs({.api_key = text}).front().end_user, text);
  }
  EXPECT_EQ(store.all_keys().size(), kInjections.size());
}

TEST_F(StoreTest, SpendLogsFilterByModelGroupOrUpstreamModelAndByStatus) {
  Store store(open_sqlite(path()));
  SpendEvent ok = event_for("ok", "k", 1);
  ok.model_group = "chat";
  ok.model = "gpt-4o-upstream";
  SpendEvent failed = event_for("failed", "k", 0);
  failed.model_group = "chat";
  failed.status = "failure";
  SpendEvent other = event_for("other", "k", 1);
  ASSERT_TRUE(store.write_spend("b", {ok, failed, other}));
  auto ids = [&](const SpendLogQuery& query) {
    std::vector<std::string> found;
    for (const auto& event : store.spend_logs(query)) found.push_back(event.request_id);
    std::sort(found.begin(), found.end());
    return found;
  };
  EXPECT_EQ(ids({.model = "chat"}), (std::vector<std::string>{"req-failed", "req-ok"}));
  EXPECT_EQ(ids({.model = "gpt-4o-upstream"}), std::vector<std::string>{"req-ok"});
  EXPECT_EQ(ids({.model = "chat", .status = "success"}), std::vector<std::string>{"req-ok"});
  EXPECT_EQ(ids({.status = "failure"}), std::vector<std::string>{"req-failed"});
  EXPECT_EQ(ids({.model = "' OR '1'='1"}), std::vector<std::string>{});
}

TEST_F(StoreTest, SpendLogsPageAfterARequestInTheLogsOrder) {
  Store store(open_sqlite(path()));
  std::vector<SpendEvent> events;
  for (int i = 0; i < 5; ++i) {
    events.push_back(event_for(std::to_string(i), i % 2 ? "odd" : "even", 1));
    events.back().start_time = 1000 * (i / 2);  // two rows share a start time: id breaks ties
  }
  ASSERT_TRUE(store.write_spend("b", events));
  auto ids = [&](const SpendLogQuery& query) {
    std::vector<std::string> found;
    for (const auto& event : store.spend_logs(query)) found.push_back(event.request_id);
    return found;
  };
  const auto all = ids({});
  ASSERT_EQ(all, (std::vector<std::string>{"req-4", "req-3", "req-2", "req-1", "req-0"}));
  EXPECT_EQ(ids({.before_request_id = "req-3", .limit = 2}),
            (std::vector<std::string>{"req-2", "req-1"}));
  EXPECT_EQ(ids({.before_request_id = "req-1"}), std::vector<std::string>{"req-0"});
  EXPECT_EQ(ids({.before_request_id = "req-0"}), std::vector<std::string>{});
  EXPECT_EQ(ids({.api_key = "even", .before_request_id = "req-4"}),
            (std::vector<std::string>{"req-2", "req-0"}));
  EXPECT_EQ(ids({.before_request_id = "no-such-request"}), std::vector<std::string>{});
}

// LiteLLM's request_id is the id in the client's answer: a call is found by it as by llmux's call
// id, each alone or with other filters; a call without one only by its call id.
TEST_F(StoreTest, SpendLogsFindACallByItsCallIdOrTheIdInItsAnswer) {
  Store store(open_sqlite(path()));
  std::vector<SpendEvent> events;
  for (int i = 0; i < 3; ++i) {
    events.push_back(event_for(std::to_string(i), i == 2 ? "other" : "k", 1));
    events.back().response_id = "chatcmpl-" + std::to_string(i);
  }
  events.push_back(event_for("without", "k", 0));
  // Another call whose answer had the same id (a cache hit replays it): both are found.
  events.push_back(event_for("replayed", "k", 1));
  events.back().response_id = "chatcmpl-1";
  ASSERT_TRUE(store.write_spend("b", events));
  auto ids = [&](const SpendLogQuery& query) {
    std::vector<std::string> found;
    for (const auto& event : store.spend_logs(query)) found.push_back(event.request_id);
    std::sort(found.begin(), found.end());
    return found;
  };
  EXPECT_EQ(ids({.request_id = "chatcmpl-0"}), std::vector<std::string>{"req-0"});
  EXPECT_EQ(ids({.request_id = "req-0"}), std::vector<std::string>{"req-0"});
  EXPECT_EQ(ids({.request_id = "chatcmpl-1"}), (std::vector<std::string>{"req-1", "req-replayed"}));
  EXPECT_EQ(ids({.request_id = "req-without"}), std::vector<std::string>{"req-without"});
  EXPECT_EQ(ids({.api_key = "k", .request_id = "chatcmpl-2"}), std::vector<std::string>{});
  EXPECT_EQ(ids({.api_key = "other", .request_id = "chatcmpl-2"}),
            std::vector<std::string>{"req-2"});
  EXPECT_EQ(ids({.request_id = "chatcmpl-"}), std::vector<std::string>{});
  // Two ids of one 32-bit hash (FNV-1a): each finds its own call only.
  SpendEvent first = event_for("first", "k", 1), second = event_for("second", "k", 1);
  first.response_id = "chatcmpl-696338";
  second.response_id = "chatcmpl-1058106";
  ASSERT_TRUE(store.write_spend("colliding", {first, second}));
  EXPECT_EQ(ids({.request_id = "chatcmpl-696338"}), std::vector<std::string>{"req-first"});
  EXPECT_EQ(ids({.request_id = "chatcmpl-1058106"}), std::vector<std::string>{"req-second"});
  EXPECT_EQ(store.spend_logs({.request_id = "chatcmpl-0"}).front().response_id, "chatcmpl-0");
  EXPECT_EQ(store.spend_logs({.request_id = "req-without"}).front().response_id, "");
  // The index holds the id's hash; the row keeps the id itself.
  const auto rows = store.database().query(
      "SELECT COUNT(DISTINCT response_key) FROM llmux_spend_logs WHERE response_id IS NOT NULL",
      {});
  EXPECT_EQ(rows.front().integer(0), 4) << "chatcmpl-0, -1, -2 and the colliding pair's one";
}

// Batches are written as statements of 64, 32, …, 1 rows: every size writes each row once, in
// the batch's order.
TEST_F(StoreTest, SpendBatchesOfAnySizeWriteEveryRowInOrder) {
  Store store(open_sqlite(path()));
  int written = 0;
  for (const int size : {1, 63, 64, 127, 191}) {
    std::vector<SpendEvent> events;
    for (int i = 0; i < size; ++i) events.push_back(event_for(std::to_string(written + i), "k", 1));
    ASSERT_TRUE(store.write_spend("batch-" + std::to_string(size), events));
    written += size;
  }
  const auto rows =
      store.database().query("SELECT request_id FROM llmux_spend_logs ORDER BY id", {});
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(written));
  for (int i = 0; i < written; ++i) EXPECT_EQ(rows[i].text(0), "req-" + std::to_string(i));
  EXPECT_NEAR(store.total_spend(std::nullopt, std::nullopt), written, 1e-9);
}

TEST_F(StoreTest, SpendBatchesAddUpOnceAndFeedEveryTotal) {
  Store store(open_sqlite(path()));
  store.insert_key(key_named("k"));
  std::vector<SpendEvent> events;
  for (int i = 0; i < 10; ++i) {
    SpendEvent event = event_for("e" + std::to_string(i), "k", 0.1);
    event.end_user = "customer";
    event.tags = {"tag-a"};
    events.push_back(event);
  }
  EXPECT_TRUE(store.write_spend("batch-1", events));
  EXPECT_FALSE(store.write_spend("batch-1", events)) << "a retried batch must not count twice";
  EXPECT_NEAR(store.find_key("k")->spend, 1.0, 1e-12);
  EXPECT_NEAR(store.total_spend(std::nullopt, std::nullopt), 1.0, 1e-12);
  EXPECT_NEAR(
      store.database()
          .query("SELECT spend FROM llmux_end_users WHERE user_id = ?", {std::string("customer")})
          .front()
          .real(0),
      1.0, 1e-12);
  EXPECT_NEAR(store.database()
                  .query("SELECT spend FROM llmux_tags WHERE tag = ?", {std::string("tag-a")})
                  .front()
                  .real(0),
              1.0, 1e-12);
  EXPECT_EQ(store.spend_logs({.limit = 4, .offset = 8}).size(), 2u);
  EXPECT_EQ(store.spend_logs({.start_time = 6000}).size(), 0u);
  const auto report = store.spend_report("api_key", 0, 10000);
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report.front().day, "1970-01-01");
  EXPECT_EQ(report.front().requests, 10);
}

TEST_F(StoreTest, BudgetWindowsResetWhenDue) {
  Store store(open_sqlite(path()));
  KeyRecord key = key_named("k");
  key.budget_duration = "30s";
  key.budget_reset_at = 10'000;
  store.insert_key(key);
  store.write_spend("b", {event_for("e", "k", 3)});
  EXPECT_TRUE(store.reset_due_budgets(9'999).empty());
  EXPECT_EQ(store.reset_due_budgets(10'000), std::vector<std::string>{"k"});
  const auto reset = store.find_key("k");
  EXPECT_EQ(reset->spend, 0);
  EXPECT_EQ(reset->budget_reset_at, 10'000 + 30'000);
}

// Another instance on the same database resets the key between this one's finding it due and its
// UPDATE, and a call's spend lands after that reset: this instance must not reset it again (that
// would wipe the new window's spend), so the budget resets once for the fleet.
class ResetElsewhereFirst final : public Database {
 public:
  explicit ResetElsewhereFirst(std::unique_ptr<Database> inner) : inner_(std::move(inner)) {}
  std::vector<Row> query(std::string_view sql, const Params& params) override {
    if (!done_ && sql.starts_with("UPDATE llmux_keys SET spend = 0")) {
      done_ = true;
      inner_->query("UPDATE llmux_keys SET spend = 2, budget_reset_at = 40000 WHERE token = 'k'");
    }
    return inner_->query(sql, params);
  }
  std::int64_t changed_rows() const override { return inner_->changed_rows(); }
  std::string_view engine() const override { return inner_->engine(); }
  void execute_script(std::string_view sql) override { inner_->execute_script(sql); }
  bool reconnect() override { return true; }

 private:
  std::unique_ptr<Database> inner_;
  bool done_ = false;
};

TEST_F(StoreTest, ABudgetAnotherInstanceResetFirstIsNotResetAgain) {
  {
    Store setup(open_sqlite(path()));
    KeyRecord key = key_named("k");
    key.budget_duration = "30s";
    key.budget_reset_at = 10'000;
    setup.insert_key(key);
    setup.write_spend("b", {event_for("e", "k", 3)});
  }
  Store store(std::make_unique<ResetElsewhereFirst>(open_sqlite(path())));
  EXPECT_TRUE(store.reset_due_budgets(10'000).empty());
  const auto key = store.find_key("k");
  EXPECT_EQ(key->spend, 2);
  EXPECT_EQ(key->budget_reset_at, 40'000);
}

TEST_F(StoreTest, MonthlyBudgetsResetOnTheSameDayNextMonth) {
  Store store(open_sqlite(path()));
  constexpr Millis kJan31 = 1'801'353'600'000;  // 2027-01-31T00:00:00Z
  constexpr Millis kFeb28 = 1'803'772'800'000;  // 2027-02-28T00:00:00Z
  KeyRecord key = key_named("k");
  key.budget_duration = "1mo";
  key.budget_reset_at = kJan31;
  store.insert_key(key);
  EXPECT_EQ(store.reset_due_budgets(kJan31), std::vector<std::string>{"k"});
  EXPECT_EQ(store.find_key("k")->budget_reset_at, kFeb28);
}

// A batch is inserted several rows per statement: full statements and a shorter last one.
TEST_F(StoreTest, LargeBatchesLandWholeAcrossSeveralInsertStatements) {
  Store store(open_sqlite(path()));
  store.insert_key(key_named("k"));
  std::vector<SpendEvent> events;
  for (int n = 0; n < 150; ++n) {
    events.push_back(event_for(std::to_string(n), "k", 0.5));
    events.back().start_time = 1000 + n;
  }
  ASSERT_TRUE(store.write_spend("big", events));
  const auto page = store.spend_logs({.api_key = "k", .limit = 1000});
  ASSERT_EQ(page.size(), 150u);
  for (int n = 0; n < 150; ++n)
    EXPECT_EQ(page[static_cast<std::size_t>(n)].request_id, "req-" + std::to_string(149 - n));
  EXPECT_NEAR(store.find_key("k")->spend, 75.0, 1e-9);
}

TEST_F(StoreTest, RetentionDeletesOnlyRowsOfCallsStartedBeforeTheCutoffInBatches) {
  Store store(open_sqlite(path()));
  store.insert_key(key_named("k"));
  std::vector<SpendEvent> events;
  // More than one delete statement's worth of old rows, and a few newer ones.
  for (int n = 0; n < 12'000; ++n) {
    events.push_back(event_for(std::to_string(n), "k", 0.001));
    events.back().start_time = n < 11'990 ? 1'000 + n : 100'000 + n;
  }
  ASSERT_TRUE(store.write_spend("many", events));
  EXPECT_EQ(store.delete_spend_logs_before(100'000), 11'990);
  const auto left = store.spend_logs({.api_key = "k", .limit = 100});
  ASSERT_EQ(left.size(), 10u);
  for (const SpendEvent& event : left) EXPECT_GE(event.start_time, 100'000);
  EXPECT_NEAR(store.find_key("k")->spend, 12.0, 1e-6);  // the totals are not the log's
  EXPECT_EQ(store.delete_spend_logs_before(100'000), 0);
}

// The routes that sum spend read the daily aggregates: calls whose log rows the retention
// deleted still count, per UTC day, key, team, end user and model group.
TEST_F(StoreTest, ReportsStillSumCallsWhoseLogRowsRetentionDeleted) {
  Store store(open_sqlite(path()));
  constexpr Millis kDay = 86'400'000;
  std::vector<SpendEvent> events;
  for (int n = 0; n < 6; ++n) {
    SpendEvent event = event_for(std::to_string(n), n < 4 ? "k1" : "k2", 0.5);
    event.start_time = (n < 3 ? 0 : kDay) + n;  // 1970-01-01 and 1970-01-02
    event.team_id = n % 2 ? "team-a" : "";
    event.end_user = n == 5 ? "customer" : "";
    event.tags = {"t"};
    if (n == 2) event.status = "failure";
    events.push_back(event);
  }
  ASSERT_TRUE(store.write_spend("old", events));
  ASSERT_EQ(store.delete_spend_logs_before(10 * kDay), 6);
  ASSERT_TRUE(store.spend_logs({}).empty());

  EXPECT_NEAR(store.total_spend(std::nullopt, std::nullopt), 3.0, 1e-12);
  EXPECT_NEAR(store.total_spend(kDay, std::nullopt), 1.5, 1e-12);
  EXPECT_NEAR(store.total_spend(std::nullopt, kDay), 1.5, 1e-12);
  EXPECT_NEAR(store.total_spend(2 * kDay, std::nullopt), 0, 1e-12);
  const auto by_key = store.spend_report("api_key", 0, 2 * kDay);
  ASSERT_EQ(by_key.size(), 3u);
  EXPECT_EQ(by_key[0].day, "1970-01-01");
  EXPECT_EQ(by_key[0].group, "k1");
  EXPECT_EQ(by_key[0].requests, 3);
  EXPECT_EQ(by_key[0].total_tokens, 21);
  EXPECT_EQ(by_key[1].day, "1970-01-02");
  EXPECT_EQ(by_key[1].group, "k1");
  EXPECT_EQ(by_key[1].requests, 1);
  EXPECT_EQ(by_key[2].group, "k2");
  EXPECT_NEAR(by_key[2].spend, 1.0, 1e-12);
  const auto by_team = store.spend_report("team", kDay, 2 * kDay);
  ASSERT_EQ(by_team.size(), 2u);
  EXPECT_EQ(by_team[0].group, "");  // calls without a team
  EXPECT_EQ(by_team[0].requests, 1);
  EXPECT_EQ(by_team[1].group, "team-a");
  EXPECT_EQ(by_team[1].requests, 2);
  const auto by_customer = store.spend_report("customer", kDay, 2 * kDay);
  ASSERT_EQ(by_customer.size(), 2u);
  EXPECT_EQ(by_customer[1].group, "customer");
  EXPECT_EQ(by_customer[1].requests, 1);

  const auto tag = store.database().query(
      "SELECT SUM(api_requests), SUM(successful_requests), SUM(failed_requests), SUM(spend) FROM "
      "llmux_daily_tag_spend WHERE tag = 't'");
  EXPECT_EQ(tag.front().integer(0), 6);
  EXPECT_EQ(tag.front().integer(1), 5);
  EXPECT_EQ(tag.front().integer(2), 1);
  EXPECT_NEAR(tag.front().real(3), 3.0, 1e-12);
  EXPECT_FALSE(store.write_spend("old", events)) << "a retried batch must not count twice";
  EXPECT_NEAR(store.total_spend(std::nullopt, std::nullopt), 3.0, 1e-12);
}

TEST_F(StoreTest, WithoutSpendLogRowsABatchStillAddsToEveryTotal) {
  Store store(open_sqlite(path()));
  store.insert_key(key_named("k"));
  store.keep_spend_log_rows(false);
  SpendEvent event = event_for("e", "k", 0.25);
  event.end_user = "customer";
  ASSERT_TRUE(store.write_spend("batch", {event}));
  EXPECT_FALSE(store.write_spend("batch", {event})) << "a retried batch must not count twice";
  EXPECT_NEAR(store.find_key("k")->spend, 0.25, 1e-12);
  EXPECT_TRUE(store.spend_logs({.api_key = "k"}).empty());
  // As LiteLLM's daily tables: kept without the log.
  EXPECT_NEAR(store.total_spend(std::nullopt, std::nullopt), 0.25, 1e-12);
  ASSERT_EQ(store.spend_report("customer", 0, 10'000).size(), 1u);
  EXPECT_EQ(store.spend_report("customer", 0, 10'000).front().group, "customer");
  EXPECT_NEAR(
      store.database()
          .query("SELECT spend FROM llmux_end_users WHERE user_id = ?", {std::string("customer")})
          .front()
          .real(0),
      0.25, 1e-12);
}

// Under load a worker's spend is written once `early_flush_events` calls are waiting, not only
// when the (here hour-long) flush interval is up.
TEST_F(StoreTest, AFullSinkIsWrittenBeforeTheFlushInterval) {
  ManualClock clock;
  Service service(open_sqlite(path()), open_sqlite(path()),
                  {.flush_interval = std::chrono::hours(1),
                   .journal_path = (dir_ / "journal.jsonl").string(),
                   .early_flush_events = 3,
                   .journal_clock = &clock});
  SpendSink& sink = service.add_sink();
  service.start();
  // Once this returns, the store thread has done what a sink asked of it before (its event loop
  // runs in order) and the spend indexer has written what that gave it.
  const auto settled = [&] {
    // run() is a coroutine for the gateway's workers; here it is driven on a scratch context.
    boost::asio::io_context io;
    bool ran = false;
    boost::asio::co_spawn(io, service.run([](Store&) { return true; }),
                          [&](std::exception_ptr, Result<bool> result) { ran = *result; });
    io.run();
    return ran && clock.await_idle();
  };
  const auto rows = [&] { return Store(open_sqlite(path())).spend_logs({.limit = 100}).size(); };
  sink.add(event_for("a", "k", 0));
  sink.add(event_for("b", "k", 0));
  ASSERT_TRUE(settled());
  EXPECT_EQ(rows(), 0u) << "two events wait for the interval";
  sink.add(event_for("c", "k", 0));
  ASSERT_TRUE(settled());
  EXPECT_EQ(rows(), 3u) << "the third asked for a flush";
  EXPECT_EQ(service.stop_and_flush(), 0u);
}

}  // namespace
}  // namespace llmux::store
