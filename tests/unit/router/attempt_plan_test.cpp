#include "router/attempt_plan.hpp"

#include "router/model_table.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace llmux::router {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const TimePoint kStart = TimePoint(std::chrono::hours(1000));

config::ModelEntry entry(std::string group, std::string id, double timeout_s = 30) {
  config::ModelEntry result{.model_name = std::move(group)};
  result.params.model = "openai/" + id;
  result.params.api_base = "http://127.0.0.1:9/v1";
  result.params.api_key = "sk-test";
  result.params.timeout_s = timeout_s;
  result.model_info["id"] = id;
  return result;
}

Error failure(ErrorKind kind, std::optional<std::chrono::seconds> retry_after = std::nullopt) {
  Error error = make_error(kind, "failed");
  error.retry_after = retry_after;
  return error;
}

Error status_failure(int status) {
  Error error = make_error(kind_from_status(status), "failed");
  error.status = status;
  return error;
}

// A table, a policy and a health state; plans draw 0 (the first candidate of a weighted choice,
// the smallest jitter factor's complement: backoff × 1.0).
struct Fixture {
  explicit Fixture(std::vector<config::ModelEntry> entries) {
    std::vector<std::string> warnings;
    table = ModelTable::build(config::Config{.source = "test", .model_list = std::move(entries)},
                              warnings);
    health = std::make_unique<InMemoryHealth>(
        table.deployment_count(), CooldownPolicy{.allowed_fails = 3, .cooldown_time = 5s});
  }
  AttemptPlan plan(std::string group, RequestOptions options = {}, TimePoint start = kStart) {
    return AttemptPlan(
        table, policy, *health, [] { return 0.0; }, group, group, std::move(options), start);
  }
  ModelTable table;
  RouterPolicy policy;
  std::unique_ptr<InMemoryHealth> health;
};

// Runs an attempt that fails with `error` at `now`.
void fail(AttemptPlan& plan, const Attempt& attempt, const Error& error, TimePoint now) {
  plan.started(attempt, now);
  plan.finished(attempt, &error, now);
}

std::string id_of(const Result<Attempt>& attempt) {
  return attempt ? attempt->deployment->id : "error: " + attempt.error().message;
}

TEST(AttemptPlan, RetriesGoToAnotherDeploymentAtOnceThenBackOff) {
  Fixture f({entry("g", "a"), entry("g", "b")});
  f.policy.num_retries = 3;
  auto plan = f.plan("g");
  auto first = plan.next(kStart);
  ASSERT_EQ(id_of(first), "a");
  EXPECT_EQ(first->wait, 0s);
  EXPECT_EQ(first->served_model, "g");
  fail(plan, *first, status_failure(500), kStart);
  auto second = plan.next(kStart);
  EXPECT_EQ(id_of(second), "b");  // untried, so no wait
  EXPECT_EQ(second->wait, 0s);
  fail(plan, *second, status_failure(500), kStart);
  auto third = plan.next(kStart);
  EXPECT_EQ(id_of(third), "a");
  EXPECT_EQ(third->wait, 1000ms);  // second retry: 0.5 s × 2
  fail(plan, *third, status_failure(500), kStart);
  auto fourth = plan.next(kStart);
  EXPECT_EQ(fourth->wait, 2000ms);
  fail(plan, *fourth, status_failure(502), kStart);
  EXPECT_EQ(plan.attempted_retries(), 3);
  auto done = plan.next(kStart);
  ASSERT_FALSE(done);
  EXPECT_EQ(http_status(done.error()), 502);  // the last failure is the answer
}

// Fails every attempt of `plan` with a 500 until it gives up; returns the attempts made.
int attempts_until_done(AttemptPlan& plan) {
  int attempts = 0;
  TimePoint now = kStart;
  while (auto attempt = plan.next(now)) {
    ++attempts;
    now += attempt->wait;
    fail(plan, *attempt, status_failure(500), now);
  }
  return attempts;
}

TEST(AttemptPlan, AClientAsksForRetriesUpToTheOperatorsNumRetriesOrThree) {
  Fixture f({entry("g", "a", 600)});
  f.policy.num_retries = 0;
  auto asked_for_100 = f.plan("g", {.num_retries = 100});
  EXPECT_EQ(attempts_until_done(asked_for_100), 1 + kClientRetries);
  EXPECT_EQ(asked_for_100.attempted_retries(), kClientRetries);
  auto asked_for_1 = f.plan("g", {.num_retries = 1});
  EXPECT_EQ(attempts_until_done(asked_for_1), 2);
  f.policy.num_retries = 5;
  auto within = f.plan("g", {.num_retries = 100});
  EXPECT_EQ(attempts_until_done(within), 6);
  auto fewer = f.plan("g", {.num_retries = 0});
  EXPECT_EQ(attempts_until_done(fewer), 1);
  EXPECT_EQ(client_retry_limit(f.policy), 5);
}

TEST(AttemptPlan, AClientDestinationIsDialledUnderThePolicy) {
  Fixture f({entry("g", "a")});
  ASSERT_TRUE(f.policy.client_destinations.allow("10.0.0.0/8"));
  auto own = f.plan("g").next(kStart);
  ASSERT_TRUE(own);
  EXPECT_FALSE(own->client_destination);
  // The plan owns the deployment it makes for the client's destination: it must outlive the
  // attempt.
  auto client_plan = f.plan(
      "g", {.credentials = {.api_base = "http://10.1.1.1/v1", .api_base_field = "base_url"}});
  auto clients = client_plan.next(kStart);
  ASSERT_TRUE(clients);
  EXPECT_EQ(clients->client_destination.policy, &f.policy.client_destinations);
  EXPECT_EQ(clients->client_destination.field, "base_url");
  EXPECT_EQ(clients->deployment->target.api_key, "");
}

TEST(AttemptPlan, JitterShortensTheBackoffByUpToAQuarter) {
  Fixture f({entry("g", "a")});
  f.policy.num_retries = 1;
  AttemptPlan plan(
      f.table, f.policy, *f.health, [] { return 0.999; }, "g", "g", {}, kStart);
  auto first = plan.next(kStart);
  fail(plan, *first, status_failure(503), kStart);
  auto second = plan.next(kStart);
  ASSERT_TRUE(second);
  EXPECT_GE(second->wait, 375ms);
  EXPECT_LT(second->wait, 380ms);
}

TEST(AttemptPlan, RetryAfterIsHonouredOnTheSameDeployment) {
  Fixture f({entry("g", "a")});
  f.policy.num_retries = 1;
  auto plan = f.plan("g");
  auto first = plan.next(kStart);
  fail(plan, *first, failure(ErrorKind::rate_limited, 3s), kStart);
  auto second = plan.next(kStart);
  ASSERT_EQ(id_of(second), "a");  // alone in its group: never cooled
  EXPECT_EQ(second->wait, 3s);
}

TEST(AttemptPlan, ARetryThatWouldWaitPastTheTimeoutIsNotMade) {
  Fixture f({entry("g", "a", 2)});
  f.policy.num_retries = 1;
  auto plan = f.plan("g");
  auto first = plan.next(kStart);
  EXPECT_EQ(first->timeout, 2s);
  EXPECT_FALSE(first->timeout_is_clients);
  fail(plan, *first, failure(ErrorKind::rate_limited, 7s), kStart + 100ms);
  auto second = plan.next(kStart + 100ms);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().retry_after, 7s);
}

TEST(AttemptPlan, LaterAttemptsGetWhatIsLeftOfTheRequestsTimeout) {
  Fixture f({entry("g", "a", 10), entry("g", "b", 10)});
  f.policy.num_retries = 1;
  auto plan = f.plan("g");
  auto first = plan.next(kStart);
  fail(plan, *first, status_failure(500), kStart + 6s);
  auto second = plan.next(kStart + 6s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->timeout, 4s);
  EXPECT_TRUE(second->timeout_is_clients);  // a timeout now would be the deadline's, not b's fault
}

TEST(AttemptPlan, TheClientsTimeoutAndNumRetriesWin) {
  Fixture f({entry("g", "a", 30), entry("g", "b", 30)});
  auto plan = f.plan("g", {.num_retries = 1, .timeout = 1500ms, .stream_timeout = 700ms});
  auto first = plan.next(kStart);
  EXPECT_EQ(first->timeout, 1500ms);
  EXPECT_EQ(first->stream_timeout, 700ms);
  EXPECT_TRUE(first->timeout_is_clients);
  fail(plan, *first, failure(ErrorKind::timeout), kStart + 1500ms);
  // The client's own timeout says nothing about the deployment: not cooled.
  EXPECT_EQ(f.health->cooling_until(*first->deployment, kStart + 1500ms), std::nullopt);
  EXPECT_FALSE(plan.next(kStart + 1500ms));  // the whole request's time is spent
}

TEST(AttemptPlan, ADeploymentsOwnTimeoutCoolsIt) {
  Fixture f({entry("g", "a", 1), entry("g", "b", 1)});
  auto plan = f.plan("g");
  auto first = plan.next(kStart);
  fail(plan, *first, failure(ErrorKind::timeout), kStart + 1s);
  EXPECT_NE(f.health->cooling_until(*first->deployment, kStart + 1s), std::nullopt);
}

TEST(AttemptPlan, RequestErrorsAreNotRetriedUnlessTheRetryPolicySaysSo) {
  Fixture f({entry("g", "a"), entry("g", "b")});
  f.policy.num_retries = 3;
  auto plan = f.plan("g");
  fail(plan, *plan.next(kStart), status_failure(400), kStart);
  EXPECT_FALSE(plan.next(kStart));

  f.policy.retry_policy = {{FailureClass::bad_request, 1}, {FailureClass::rate_limit, 0}};
  auto with_policy = f.plan("g");
  fail(with_policy, *with_policy.next(kStart), status_failure(400), kStart);
  auto retried = with_policy.next(kStart);
  ASSERT_TRUE(retried);
  fail(with_policy, *retried, status_failure(400), kStart);
  EXPECT_FALSE(with_policy.next(kStart));

  auto limited = f.plan("g");
  fail(limited, *limited.next(kStart), failure(ErrorKind::rate_limited), kStart);
  EXPECT_FALSE(limited.next(kStart));  // RateLimitErrorRetries: 0
}

TEST(AttemptPlan, FailureClasses) {
  EXPECT_EQ(failure_class(status_failure(429)), FailureClass::rate_limit);
  EXPECT_EQ(failure_class(status_failure(408)), FailureClass::timeout);
  EXPECT_EQ(failure_class(status_failure(401)), FailureClass::authentication);
  EXPECT_EQ(failure_class(status_failure(500)), FailureClass::internal_server);
  EXPECT_EQ(failure_class(failure(ErrorKind::upstream_failed)), FailureClass::internal_server);
  EXPECT_EQ(failure_class(failure(ErrorKind::content_policy)), FailureClass::content_policy);
  EXPECT_EQ(failure_class(failure(ErrorKind::context_window_exceeded)), FailureClass::bad_request);
  EXPECT_TRUE(retried_by_default(status_failure(409)));
  EXPECT_FALSE(retried_by_default(status_failure(404)));
}

TEST(AttemptPlan, FallbacksAfterRetriesNameTheGroupThatServes) {
  Fixture f({entry("primary", "p"), entry("backup", "b1"), entry("other", "o")});
  f.policy.num_retries = 1;
  f.policy.fallbacks = {{"primary", {"missing", "backup", "other"}}};
  auto plan = f.plan("primary");
  fail(plan, *plan.next(kStart), status_failure(500), kStart);
  auto retry = plan.next(kStart);
  ASSERT_EQ(id_of(retry), "p");
  fail(plan, *retry, status_failure(500), kStart + 1s);
  auto fallback = plan.next(kStart + 1s);
  ASSERT_EQ(id_of(fallback), "b1");  // an unknown group is skipped
  EXPECT_EQ(fallback->served_model, "backup");
  EXPECT_EQ(fallback->wait, 0s);
  EXPECT_EQ(plan.attempted_fallbacks(), 1);
  fail(plan, *fallback, status_failure(503), kStart + 1s);
  ASSERT_EQ(id_of(plan.next(kStart + 1s)), "b1");  // each group gets its retries
}

TEST(AttemptPlan, WhichFallbacksAnErrorUses) {
  Fixture f({entry("g", "a"), entry("general", "gen"), entry("big", "big"), entry("safe", "safe"),
             entry("dflt", "d")});
  f.policy.fallbacks = {{"g", {"general"}}};
  f.policy.context_window_fallbacks = {{"g", {"big"}}};
  f.policy.content_policy_fallbacks = {{"*", {"safe"}}};
  f.policy.default_fallbacks = {"dflt"};
  const auto after = [&](const Error& error, RequestOptions options = {}, std::string group = "g") {
    auto plan = f.plan(group, std::move(options));
    fail(plan, *plan.next(kStart), error, kStart);
    return id_of(plan.next(kStart));
  };
  EXPECT_EQ(after(status_failure(500)), "gen");
  EXPECT_EQ(after(failure(ErrorKind::context_window_exceeded)), "big");
  EXPECT_EQ(after(failure(ErrorKind::content_policy)), "safe");
  EXPECT_THAT(after(status_failure(400)), HasSubstr("error"));  // the request's own fault
  EXPECT_EQ(after(status_failure(500), {.fallbacks = std::vector<std::string>{"safe"}}), "safe");
  EXPECT_THAT(after(status_failure(500), {.disable_fallbacks = true}), HasSubstr("error"));
  EXPECT_EQ(after(status_failure(500), {}, "general"), "d");  // no entry: default_fallbacks
  f.policy.context_window_fallbacks.clear();
  EXPECT_THAT(after(failure(ErrorKind::context_window_exceeded)), HasSubstr("error"));
}

TEST(AttemptPlan, FallbackGroupsTheCallerMayNotUseArePassedOver) {
  Fixture f({entry("g", "a"), entry("forbidden", "x"), entry("allowed", "y")});
  f.policy.fallbacks = {{"g", {"forbidden", "allowed"}}};
  std::vector<std::string> asked;
  const auto only_allowed = [&](std::string_view group,
                                std::span<const Deployment* const> deployments) {
    asked.emplace_back(group);
    EXPECT_EQ(deployments.size(), 1u);
    return group != "forbidden";
  };
  auto plan = f.plan("g");
  plan.restrict_groups(only_allowed);
  fail(plan, *plan.next(kStart), status_failure(500), kStart);
  auto fallback = plan.next(kStart);
  ASSERT_EQ(id_of(fallback), "y");
  EXPECT_EQ(fallback->served_model, "allowed");
  EXPECT_EQ(plan.attempted_fallbacks(), 1);  // the passed-over group is not counted
  EXPECT_EQ(asked, (std::vector<std::string>{"forbidden", "allowed"}));

  // With no group left that the caller may use, the last failure is the answer.
  auto alone = f.plan("g", {.fallbacks = std::vector<std::string>{"forbidden"}});
  alone.restrict_groups(only_allowed);
  fail(alone, *alone.next(kStart), status_failure(503), kStart);
  auto done = alone.next(kStart);
  ASSERT_FALSE(done);
  EXPECT_EQ(http_status(done.error()), 503);
  EXPECT_EQ(alone.attempted_fallbacks(), 0);
}

TEST(AttemptPlan, MaxFallbacksCapsTheGroupsTried) {
  Fixture f({entry("g", "a"), entry("f1", "f1"), entry("f2", "f2"), entry("f3", "f3")});
  f.policy.fallbacks = {{"g", {"f1", "f2", "f3"}}};
  f.policy.max_fallbacks = 2;
  auto plan = f.plan("g");
  for (const char* expected : {"a", "f1", "f2"}) {
    auto attempt = plan.next(kStart);
    ASSERT_EQ(id_of(attempt), expected);
    fail(plan, *attempt, status_failure(500), kStart);
  }
  EXPECT_FALSE(plan.next(kStart));
  EXPECT_EQ(plan.attempted_fallbacks(), 2);
}

TEST(AttemptPlan, TellsTheFallbackGroupsEnteredAndTheFailureThatLeftTheGroupAskedFor) {
  Fixture f({entry("g", "a"), entry("forbidden", "x"), entry("f1", "f1"), entry("f2", "f2")});
  f.policy.fallbacks = {{"g", {"forbidden", "f1", "f2"}}};
  auto plan = f.plan("g");
  plan.restrict_groups([](std::string_view group, auto) { return group != "forbidden"; });
  fail(plan, *plan.next(kStart), status_failure(503), kStart);
  EXPECT_TRUE(plan.fallback_groups().empty());
  fail(plan, *plan.next(kStart), status_failure(500), kStart);
  ASSERT_TRUE(plan.next(kStart));
  // A group passed over is not entered; the cause stays the first group's failure.
  EXPECT_EQ(std::vector<std::string>(plan.fallback_groups().begin(), plan.fallback_groups().end()),
            (std::vector<std::string>{"f1", "f2"}));
  ASSERT_TRUE(plan.fallback_cause());
  EXPECT_EQ(http_status(*plan.fallback_cause()), 503);
}

TEST(AttemptPlan, AFailureThatCoolsItsDeploymentSaysWhichStatusAndHowLong) {
  Fixture f({entry("g", "a"), entry("g", "b")});
  f.policy.num_retries = 1;
  auto plan = f.plan("g");
  auto first = plan.next(kStart);
  plan.started(*first, kStart);
  const Error server_error = status_failure(500);
  EXPECT_EQ(plan.finished(*first, &server_error, kStart), std::nullopt);  // within allowed_fails
  auto second = plan.next(kStart);
  plan.started(*second, kStart);
  const Error limited = status_failure(429);
  const auto cooled = plan.finished(*second, &limited, kStart);
  ASSERT_TRUE(cooled);
  EXPECT_EQ(cooled->deployment, second->deployment);
  EXPECT_EQ(cooled->status, 429);
  EXPECT_EQ(cooled->length, 5s);
}

TEST(AttemptPlan, CoolingDeploymentsAreSkippedAndAColdGroupIs429WithRetryAfter) {
  Fixture f({entry("g", "a"), entry("g", "b"), entry("backup", "z")});
  auto plan = f.plan("g");
  auto first = plan.next(kStart);
  fail(plan, *first, status_failure(429), kStart);  // cools a for 5 s
  auto next_request = f.plan("g");
  EXPECT_EQ(id_of(next_request.next(kStart + 1s)), "b");
  auto another = f.plan("g");
  auto b = another.next(kStart + 1s);
  fail(another, *b, status_failure(429), kStart + 1s);  // b cools until 6 s

  auto cold = f.plan("g");
  auto refused = cold.next(kStart + 2s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(http_status(refused.error()), 429);
  EXPECT_THAT(refused.error().message,
              HasSubstr("No deployments available for selected model, Try again in 3 seconds"));
  EXPECT_EQ(refused.error().retry_after, 3s);

  f.policy.fallbacks = {{"g", {"backup"}}};
  auto with_fallback = f.plan("g");
  EXPECT_EQ(id_of(with_fallback.next(kStart + 2s)), "z");
  EXPECT_EQ(id_of(f.plan("g").next(kStart + 5s)), "a");  // back after cooldown_time
}

TEST(AttemptPlan, ARetryThatFindsTheGroupColdIsNotCountedAndFallsBack) {
  Fixture f({entry("g", "a"), entry("g", "b"), entry("backup", "z")});
  f.policy.num_retries = 1;
  auto earlier = f.plan("g");
  auto b = earlier.next(kStart);
  ASSERT_EQ(id_of(b), "a");
  fail(earlier, *b, status_failure(429), kStart);  // a cools
  auto on_b = earlier.next(kStart);
  ASSERT_EQ(id_of(on_b), "b");
  fail(earlier, *on_b, status_failure(429), kStart);  // b cools too
  auto refused = earlier.next(kStart);
  ASSERT_FALSE(refused);
  EXPECT_EQ(earlier.attempted_retries(), 1);  // the one made on b; none after

  f.policy.fallbacks = {{"g", {"backup"}}};
  auto plan = f.plan("g");
  EXPECT_EQ(id_of(plan.next(kStart + 1s)), "z");
  EXPECT_EQ(plan.attempted_retries(), 0);
  EXPECT_EQ(plan.attempted_fallbacks(), 1);
}

TEST(AttemptPlan, LatencyIsTheWholeCallOrWhatTheCallerMeasured) {
  Fixture f({entry("g", "a"), entry("g", "b")});
  f.policy.strategy = Strategy::latency_based;
  auto plan = f.plan("g");
  auto whole = plan.next(kStart);
  plan.started(*whole, kStart);
  plan.finished(*whole, nullptr, kStart + 300ms, 10);
  EXPECT_EQ(f.health->load(*whole->deployment, kStart + 1s).latency, 300ms);
  EXPECT_EQ(f.health->load(*whole->deployment, kStart + 1s).tokens_this_minute, 10);
  auto stream_plan = f.plan("g");
  auto first_chunk = stream_plan.next(kStart + 1s);
  ASSERT_EQ(id_of(first_chunk), "b");  // not measured yet, so tried before a
  stream_plan.started(*first_chunk, kStart + 1s);
  stream_plan.finished(*first_chunk, nullptr, kStart + 9s, 0,
                       40ms);  // a 8 s stream, first chunk at 40 ms
  EXPECT_EQ(f.health->load(*first_chunk->deployment, kStart + 10s).latency, 40ms);
}

TEST(AttemptPlan, PreCallChecksSkipDeploymentsWhoseContextIsTooSmall) {
  auto small = entry("g", "small");
  small.model_info["max_input_tokens"] = 100;
  auto large = entry("g", "large");
  large.model_info["max_input_tokens"] = 100000;
  Fixture f({small, large, entry("huge", "huge")});
  f.policy.enable_pre_call_checks = true;
  EXPECT_EQ(id_of(f.plan("g", {.prompt_tokens = 500}).next(kStart)), "large");
  EXPECT_EQ(id_of(f.plan("g", {.prompt_tokens = 50}).next(kStart)), "small");
  auto too_big = f.plan("g", {.prompt_tokens = 200000}).next(kStart);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().kind, ErrorKind::context_window_exceeded);
  f.policy.context_window_fallbacks = {{"g", {"huge"}}};
  EXPECT_EQ(id_of(f.plan("g", {.prompt_tokens = 200000}).next(kStart)), "huge");
  f.policy.enable_pre_call_checks = false;
  EXPECT_EQ(id_of(f.plan("g", {.prompt_tokens = 200000}).next(kStart)), "small");
}

TEST(AttemptPlan, UsageBasedRoutingNeverGoesPastRpm) {
  auto limited = entry("g", "limited");
  limited.params.rpm = 2;
  Fixture f({limited});
  f.policy.strategy = Strategy::usage_based;
  for (int i = 0; i < 2; ++i) {
    auto plan = f.plan("g");
    auto attempt = plan.next(kStart);
    ASSERT_EQ(id_of(attempt), "limited");
    plan.started(*attempt, kStart);
    plan.finished(*attempt, nullptr, kStart);
  }
  auto refused = f.plan("g").next(kStart);
  ASSERT_FALSE(refused);
  EXPECT_EQ(http_status(refused.error()), 429);
  EXPECT_EQ(id_of(f.plan("g", {}, kStart + 60s).next(kStart + 60s)), "limited");  // a new minute
}

TEST(AttemptPlan, ADeploymentTheFleetFoundFullIsWithdrawnAndAnotherPicked) {
  auto a = entry("g", "a");
  auto b = entry("g", "b");
  a.params.rpm = b.params.rpm = 2;
  Fixture f({a, b});
  EXPECT_FALSE(f.plan("g").counts_deployment_usage());
  f.policy.strategy = Strategy::usage_based;

  auto plan = f.plan("g");
  EXPECT_TRUE(plan.counts_deployment_usage());
  ASSERT_EQ(plan.group_deployments().size(), 2u);
  auto first = plan.next(kStart);
  ASSERT_TRUE(first);
  plan.fleet_usage(*first->deployment, 2, 0, kStart + 30s);
  plan.withdraw(*first);
  auto second = plan.next(kStart);
  ASSERT_TRUE(second);
  EXPECT_NE(id_of(second), id_of(first));
  EXPECT_EQ(second->wait, Clock::duration::zero());
  EXPECT_EQ(plan.attempted_retries(), 0);
  plan.fleet_usage(*second->deployment, 2, 0, kStart + 30s);
  plan.withdraw(*second);
  auto none = plan.next(kStart);
  ASSERT_FALSE(none);
  EXPECT_EQ(http_status(none.error()), 429);
  EXPECT_THAT(none.error().message, HasSubstr("No deployments available"));
  // The fleet's minute has ended: both are back, but a plan does not pick again what it withdrew.
  auto later = f.plan("g", {}, kStart + 30s);
  auto chosen = later.next(kStart + 30s);
  ASSERT_TRUE(chosen);
  later.withdraw(*chosen);
  auto other = later.next(kStart + 30s);
  ASSERT_TRUE(other);
  EXPECT_NE(id_of(other), id_of(chosen));
}

TEST(AttemptPlan, TheFirstAttemptChosenAheadIsTheOneNextGives) {
  Fixture f({entry("g", "a"), entry("g", "b")});
  f.policy.strategy = Strategy::usage_based;
  auto plan = f.plan("g");
  const Attempt* chosen = plan.choose_first(kStart);
  ASSERT_NE(chosen, nullptr);
  const Deployment* deployment = chosen->deployment;
  EXPECT_EQ(plan.choose_first(kStart), chosen) << "chosen once";
  auto first = plan.next(kStart + 1s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->deployment, deployment);
  // Withdrawn (the fleet found it full), the other deployment is next, without a retry.
  plan.withdraw(*first);
  auto second = plan.next(kStart + 1s);
  ASSERT_TRUE(second);
  EXPECT_NE(second->deployment, deployment);
  EXPECT_EQ(plan.attempted_retries(), 0);

  // No deployment to choose: nothing ahead, and next() gives the error.
  auto a = f.plan("g");
  fail(a, *a.next(kStart), status_failure(429), kStart);
  auto b = f.plan("g");
  fail(b, *b.next(kStart), status_failure(429), kStart);
  auto cold = f.plan("g");
  EXPECT_EQ(cold.choose_first(kStart + 1s), nullptr);
  auto refused = cold.next(kStart + 1s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(http_status(refused.error()), 429);
}

TEST(AttemptPlan, UsageBasedRoutingPicksTheDeploymentTheFleetUsedLeast) {
  Fixture f({entry("g", "a"), entry("g", "b")});
  f.policy.strategy = Strategy::usage_based;
  auto plan = f.plan("g");
  const auto group = plan.group_deployments();
  plan.fleet_usage(*group[0], 3, 900, kStart + 30s);
  plan.fleet_usage(*group[1], 5, 100, kStart + 30s);
  EXPECT_EQ(id_of(plan.next(kStart)), "b");
}

}  // namespace
}  // namespace llmux::router
