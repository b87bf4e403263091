#include "router/balancer.hpp"

#include "router/model_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace llmux::router {
namespace {

using namespace std::chrono_literals;

Deployment deployment(std::string id, double weight = 1, std::optional<int> order = std::nullopt) {
  Deployment result{.id = std::move(id)};
  result.weight = weight;
  result.order = order;
  return result;
}

// How often each deployment is picked over `steps` evenly spaced draws in [0, 1).
std::map<std::string, int> spread(Strategy strategy, const std::vector<Candidate>& candidates,
                                  int steps = 1000) {
  std::map<std::string, int> counts;
  for (int i = 0; i < steps; ++i) ++counts[pick(strategy, candidates, (i + 0.5) / steps)->id];
  return counts;
}

TEST(Balancer, StrategyNames) {
  EXPECT_EQ(parse_strategy("simple-shuffle"), Strategy::simple_shuffle);
  EXPECT_EQ(parse_strategy("least-busy"), Strategy::least_busy);
  EXPECT_EQ(parse_strategy("latency-based-routing"), Strategy::latency_based);
  EXPECT_EQ(parse_strategy("usage-based-routing"), Strategy::usage_based);
  EXPECT_EQ(parse_strategy("usage-based-routing-v2"), Strategy::usage_based);
  EXPECT_EQ(parse_strategy("cheapest"), std::nullopt);
}

TEST(Balancer, EmptyIsNull) { EXPECT_EQ(pick(Strategy::simple_shuffle, {}, 0.5), nullptr); }

TEST(Balancer, SimpleShuffleFollowsTheWeights) {
  const Deployment a = deployment("a", 1), b = deployment("b", 3), c = deployment("c", 6);
  const auto counts = spread(Strategy::simple_shuffle, {{&a, {}}, {&b, {}}, {&c, {}}});
  EXPECT_EQ(counts.at("a"), 100);
  EXPECT_EQ(counts.at("b"), 300);
  EXPECT_EQ(counts.at("c"), 600);
}

TEST(Balancer, LowestOrderTierOnlyAndUnorderedLast) {
  const Deployment first = deployment("first", 1, 1), second = deployment("second", 100, 2),
                   unordered = deployment("unordered", 100);
  EXPECT_EQ(
      spread(Strategy::simple_shuffle, {{&second, {}}, {&first, {}}, {&unordered, {}}}).at("first"),
      1000);
  EXPECT_EQ(spread(Strategy::least_busy, {{&second, {}}, {&unordered, {}}}).at("second"), 1000);
}

TEST(Balancer, LeastBusyTakesFewestInFlightAndSpreadsTies) {
  const Deployment a = deployment("a"), b = deployment("b"), c = deployment("c");
  const std::vector<Candidate> candidates{
      {&a, {.in_flight = 3}}, {&b, {.in_flight = 1}}, {&c, {.in_flight = 1}}};
  const auto counts = spread(Strategy::least_busy, candidates);
  EXPECT_EQ(counts.count("a"), 0u);
  EXPECT_EQ(counts.at("b"), 500);
  EXPECT_EQ(counts.at("c"), 500);
}

TEST(Balancer, LatencyTakesTheFastestAndTriesUnmeasuredFirst) {
  const Deployment slow = deployment("slow"), fast = deployment("fast"),
                   fresh = deployment("fresh");
  EXPECT_EQ(
      pick(Strategy::latency_based,
           std::vector<Candidate>{{&slow, {.latency = 900ms}}, {&fast, {.latency = 20ms}}}, 0.9),
      &fast);
  EXPECT_EQ(pick(Strategy::latency_based,
                 std::vector<Candidate>{{&fast, {.latency = 20ms}}, {&fresh, {}}}, 0.1),
            &fresh);
}

TEST(Balancer, UsageTakesTheLeastTokensThisMinute) {
  const Deployment busy = deployment("busy"), idle = deployment("idle");
  EXPECT_EQ(pick(Strategy::usage_based,
                 std::vector<Candidate>{{&busy, {.tokens_this_minute = 5000}},
                                        {&idle, {.tokens_this_minute = 10}}},
                 0.0),
            &idle);
}

TEST(Balancer, WithinLimitsNeverPassesRpmOrTpm) {
  Deployment limited = deployment("limited");
  limited.rpm = 10;
  limited.tpm = 1000;
  EXPECT_TRUE(within_limits(limited, {.requests_this_minute = 9, .tokens_this_minute = 999}));
  EXPECT_FALSE(within_limits(limited, {.requests_this_minute = 10}));
  EXPECT_FALSE(within_limits(limited, {.tokens_this_minute = 1000}));
  EXPECT_TRUE(within_limits(deployment("unlimited"), {.requests_this_minute = 1'000'000}));
}

}  // namespace
}  // namespace llmux::router
