#include "router/health.hpp"

#include "router/model_table.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace llmux::router {
namespace {

using namespace std::chrono_literals;

// A manual clock: tests move time themselves.
const TimePoint kStart = TimePoint(std::chrono::hours(1000));

Deployment deployment(std::size_t index) {
  Deployment result{.id = "d" + std::to_string(index)};
  result.index = index;
  return result;
}

CallOutcome failure(int status) { return {.success = false, .status = status}; }

TEST(Health, StatusesThatCoolAtOnce) {
  for (int status : {429, 401, 404, 408}) EXPECT_TRUE(cools_at_once(status)) << status;
  for (int status : {400, 403, 409, 422, 500, 503}) EXPECT_FALSE(cools_at_once(status)) << status;
  EXPECT_TRUE(counts_as_deployment_failure(500));
  EXPECT_TRUE(counts_as_deployment_failure(502));
  EXPECT_FALSE(counts_as_deployment_failure(400));
  EXPECT_FALSE(counts_as_deployment_failure(422));
}

TEST(Health, A429CoolsForCooldownTimeThenTheDeploymentIsBack) {
  InMemoryHealth health(2, {.allowed_fails = 3, .cooldown_time = 5s});
  const Deployment d = deployment(0), other = deployment(1);
  health.call_started(d, kStart);
  health.call_finished(d, failure(429), kStart);
  EXPECT_EQ(health.cooling_until(d, kStart + 1s), kStart + 5s);
  EXPECT_EQ(health.cooling_until(d, kStart + 4999ms), kStart + 5s);
  EXPECT_EQ(health.cooling_until(d, kStart + 5s), std::nullopt);
  EXPECT_EQ(health.cooling_until(other, kStart + 1s), std::nullopt);
}

TEST(Health, ServerErrorsCoolOnlyPastAllowedFailsInOneMinute) {
  InMemoryHealth health(1, {.allowed_fails = 3, .cooldown_time = 5s});
  const Deployment d = deployment(0);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(health.call_finished(d, failure(500), kStart + i * 1s), std::nullopt);
  EXPECT_EQ(health.cooling_until(d, kStart + 3s), std::nullopt);
  // The failure that begins the cooldown says so, with its length (LiteLLM's cooldown event).
  EXPECT_EQ(health.call_finished(d, failure(503), kStart + 3s), 5s);
  EXPECT_EQ(health.cooling_until(d, kStart + 4s), kStart + 8s);
  EXPECT_EQ(health.call_finished(d, {.success = true}, kStart + 4s), std::nullopt);
}

TEST(Health, FailuresOfAnEarlierMinuteDoNotCount) {
  InMemoryHealth health(1, {.allowed_fails = 1, .cooldown_time = 5s});
  const Deployment d = deployment(0);
  health.call_finished(d, failure(500), kStart + 10s);
  health.call_finished(d, failure(500), kStart + 70s);  // the next minute
  EXPECT_EQ(health.cooling_until(d, kStart + 71s), std::nullopt);
  health.call_finished(d, failure(500), kStart + 72s);
  EXPECT_NE(health.cooling_until(d, kStart + 73s), std::nullopt);
}

TEST(Health, WhatNeverCools) {
  const Deployment d = deployment(0);
  InMemoryHealth disabled(1, {.allowed_fails = 0, .cooldown_time = 5s, .disabled = true});
  disabled.call_finished(d, failure(429), kStart);
  EXPECT_EQ(disabled.cooling_until(d, kStart), std::nullopt);

  InMemoryHealth health(1, {.allowed_fails = 0, .cooldown_time = 5s});
  health.call_finished(d, failure(400), kStart);  // the request's fault
  health.call_finished(d, {.success = false, .status = 408, .counts_for_cooldown = false}, kStart);
  EXPECT_EQ(health.cooling_until(d, kStart), std::nullopt);

  Deployment alone = deployment(0);
  alone.cools = false;
  health.call_finished(alone, failure(429), kStart);
  EXPECT_EQ(health.cooling_until(alone, kStart), std::nullopt);
}

TEST(Health, CountedFailuresAreReportedAndACooldownFromElsewhereIsKept) {
  InMemoryHealth health(2, {.allowed_fails = 3, .cooldown_time = 5s});
  std::vector<std::pair<std::string, bool>> reported;
  health.report_failures_to([&reported](const Deployment& failed, bool at_once) {
    reported.emplace_back(failed.id, at_once);
  });
  const Deployment d = deployment(0), other = deployment(1);
  health.call_finished(d, failure(500), kStart);
  health.call_finished(d, failure(429), kStart);
  health.call_finished(d, failure(400), kStart);  // the request's fault: not reported
  const std::vector<std::pair<std::string, bool>> expected{{"d0", false}, {"d0", true}};
  EXPECT_EQ(reported, expected);

  health.cool(other.index, kStart + 7s);
  EXPECT_EQ(health.cooling_until(other, kStart + 1s), kStart + 7s);
  health.cool(other.index, kStart + 3s);  // a shorter cooldown does not shorten it
  EXPECT_EQ(health.cooling_until(other, kStart + 4s), kStart + 7s);
  EXPECT_EQ(health.cooling_until(other, kStart + 7s), std::nullopt);
}

TEST(Health, LoadCountsInFlightRequestsTokensAndLatency) {
  InMemoryHealth health(1, {});
  const Deployment d = deployment(0);
  health.call_started(d, kStart);
  health.call_started(d, kStart);
  EXPECT_EQ(health.load(d, kStart).in_flight, 2);
  EXPECT_EQ(health.load(d, kStart).requests_this_minute, 2);
  health.call_finished(d, {.success = true, .latency = 100ms, .tokens = 30}, kStart + 1s);
  health.call_finished(d, {.success = true, .latency = 200ms, .tokens = 12}, kStart + 1s);
  const Load load = health.load(d, kStart + 2s);
  EXPECT_EQ(load.in_flight, 0);
  EXPECT_EQ(load.tokens_this_minute, 42);
  EXPECT_EQ(load.latency, 125ms);  // 100, then a quarter of the way to 200
  EXPECT_EQ(health.load(d, kStart + 61s).requests_this_minute, 0);  // a new minute
  EXPECT_EQ(health.load(d, kStart + 61s).tokens_this_minute, 0);
}

TEST(Health, LoadCountsTheDeploymentsFailuresEvenWithoutCooldowns) {
  InMemoryHealth health(1, {.allowed_fails = 100, .cooldown_time = 5s, .disabled = true});
  const Deployment d = deployment(0);
  health.call_finished(d, failure(500), kStart);
  health.call_finished(d, failure(429), kStart + 1s);
  health.call_finished(d, failure(502), kStart + 2s);
  health.call_finished(d, failure(400), kStart + 3s);  // the request's fault
  health.call_finished(d, {.success = false, .status = 408, .counts_for_cooldown = false},
                       kStart + 4s);  // a timeout the client chose
  health.call_finished(d, {.success = true, .latency = 10ms}, kStart + 5s);
  EXPECT_EQ(health.load(d, kStart + 6s).failures, 3);
  health.call_finished(d, failure(503), kStart + 62s);
  EXPECT_EQ(health.load(d, kStart + 2h).failures, 4);  // since the start: no window
}

TEST(Health, ManyThreadsKeepInFlightExact) {
  InMemoryHealth health(1, {.allowed_fails = 1000000});
  const Deployment d = deployment(0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        health.call_started(d, kStart);
        health.call_finished(d, i % 2 ? failure(500) : CallOutcome{.success = true}, kStart);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(health.load(d, kStart).in_flight, 0);
  EXPECT_EQ(health.load(d, kStart).requests_this_minute, 40000);
}

TEST(Health, TheFleetsUsageCountsUntilItsMinuteEnds) {
  InMemoryHealth health(1, {});
  const Deployment d = deployment(0);
  health.call_started(d, kStart);
  health.observe_fleet_usage(d, 5, 700, kStart + 10s);
  EXPECT_EQ(health.load(d, kStart + 1s).requests_this_minute, 5);
  EXPECT_EQ(health.load(d, kStart + 1s).tokens_this_minute, 700);
  health.observe_fleet_usage(d, 0, 0, kStart + 10s);  // less than this process counted itself
  EXPECT_EQ(health.load(d, kStart + 1s).requests_this_minute, 1);
  health.observe_fleet_usage(d, 5, 700, kStart + 10s);
  EXPECT_EQ(health.load(d, kStart + 10s).requests_this_minute, 1);  // the fleet's minute ended
}

TEST(Health, TheFleetsLatencyReplacesTheOwnUntilItIsStale) {
  InMemoryHealth health(2, {});
  const Deployment d = deployment(0), unmeasured = deployment(1);
  health.call_finished(d, {.success = true, .latency = 100ms}, kStart);
  health.observe_fleet_latency(d.index, 900ms, kStart + 3s);
  health.observe_fleet_latency(unmeasured.index, 40ms, kStart + 3s);
  EXPECT_EQ(health.load(d, kStart + 1s).latency, 900ms);
  EXPECT_EQ(health.load(unmeasured, kStart + 1s).latency, 40ms);  // known only from the fleet
  EXPECT_EQ(health.own_latency(d.index), 100ms);  // what this process tells the fleet
  EXPECT_EQ(health.own_latency(unmeasured.index), 0ms);
  // Stale (the fleet was not heard from since): this process's own figures again.
  EXPECT_EQ(health.load(d, kStart + 3s).latency, 100ms);
  EXPECT_EQ(health.load(unmeasured, kStart + 3s).latency, 0ms);
  // A fleet without a figure for the deployment leaves the own one.
  health.observe_fleet_latency(d.index, 0ms, kStart + 6s);
  EXPECT_EQ(health.load(d, kStart + 4s).latency, 100ms);
}

// A new model table (models added or removed through the API) keeps the health of the
// deployments that stay, by id, shared with the old state: calls still running on the old table
// count on the new one.
TEST(Health, ASuccessorSharesTheStateOfTheDeploymentsThatStay) {
  InMemoryHealth before(std::vector<std::string>{"kept", "removed"},
                        {.allowed_fails = 0, .cooldown_time = 5s});
  int reported = 0;
  before.report_failures_to([&](const Deployment&, bool) { ++reported; });
  Deployment kept_before{.id = "kept"};
  kept_before.index = 0;
  before.call_started(kept_before, kStart);
  before.call_finished(kept_before, failure(500), kStart);  // cools it: no failure allowed
  before.call_started(kept_before, kStart);                 // still running on the old table
  ASSERT_EQ(reported, 1);

  // The new table lists a new deployment first: the kept one moved to index 1.
  const auto after = before.successor({"added", "kept"});
  Deployment added{.id = "added"};
  added.index = 0;
  Deployment kept_after{.id = "kept"};
  kept_after.index = 1;
  EXPECT_EQ(after->cooling_until(kept_after, kStart + 1s), kStart + 5s);
  EXPECT_EQ(after->load(kept_after, kStart).in_flight, 1);
  EXPECT_EQ(after->load(kept_after, kStart).failures, 1);
  EXPECT_FALSE(after->cooling_until(added, kStart + 1s));
  EXPECT_EQ(after->load(added, kStart).in_flight, 0);
  EXPECT_EQ(after->load(added, kStart).failures, 0);

  // The call that started on the old table ends there: the new one sees it finished.
  before.call_finished(kept_before, {.success = true}, kStart + 2s);
  EXPECT_EQ(after->load(kept_after, kStart + 2s).in_flight, 0);
  // The failure reporter carried over.
  after->call_finished(added, failure(500), kStart + 3s);
  EXPECT_EQ(reported, 2);
}

}  // namespace
}  // namespace llmux::router
