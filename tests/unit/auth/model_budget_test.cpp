#include "auth/model_budget.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace llmux::auth {
namespace {

namespace json = boost::json;

std::vector<ModelBudget> parsed(std::string_view text) {
  auto budgets = parse_model_max_budget(json::parse(text).as_object());
  EXPECT_TRUE(budgets) << text << ": " << (budgets ? "" : budgets.error().message);
  return budgets ? *budgets : std::vector<ModelBudget>{};
}

TEST(ParseModelMaxBudget, BothLitellmShapes) {
  const auto flat = parsed(R"({"gpt-4o": 0.5})");
  ASSERT_EQ(flat.size(), 1u);
  EXPECT_EQ(flat[0].model, "gpt-4o");
  EXPECT_DOUBLE_EQ(flat[0].max_budget, 0.5);
  EXPECT_FALSE(flat[0].period) << "no window: the key's whole life";

  const auto windowed = parsed(R"({"gpt-4o": {"budget_limit": "0.25", "time_period": "1d"},
                                   "claude": {"max_budget": 2, "budget_duration": "1mo"}})");
  ASSERT_EQ(windowed.size(), 2u);
  EXPECT_DOUBLE_EQ(windowed[0].max_budget, 0.25) << "a numeric string, as LiteLLM's UI sends it";
  EXPECT_EQ(windowed[0].period_text, "1d");
  ASSERT_TRUE(windowed[0].period);
  EXPECT_EQ(windowed[0].period->unit, store::Duration::Unit::day);
  EXPECT_DOUBLE_EQ(windowed[1].max_budget, 2);
  EXPECT_EQ(windowed[1].period->unit, store::Duration::Unit::month);
}

TEST(ParseModelMaxBudget, AnEntryWithoutALimitLimitsNothing) {
  EXPECT_TRUE(parsed(R"({"gpt-4o": {"time_period": "1d"}, "x": {"budget_limit": null}})").empty());
  EXPECT_TRUE(parsed("{}").empty());
}

TEST(ParseModelMaxBudget, MalformedEntriesAre400) {
  for (std::string_view text :
       {R"({"gpt-4o": "lots"})", R"({"gpt-4o": [1]})", R"({"gpt-4o": true})",
        R"({"gpt-4o": {"budget_limit": "1x"}})", R"({"gpt-4o": {"budget_limit": -1}})",
        R"({"gpt-4o": {"budget_limit": 1, "time_period": "1 day"}})",
        R"({"gpt-4o": {"budget_limit": 1, "time_period": 86400}})"}) {
    auto budgets = parse_model_max_budget(json::parse(text).as_object());
    ASSERT_FALSE(budgets) << text;
    EXPECT_EQ(http_status(budgets.error()), 400) << text;
    EXPECT_EQ(budgets.error().param, "model_max_budget");
    EXPECT_NE(budgets.error().message.find("Invalid model_max_budget"), std::string::npos);
  }
}

TEST(FindModelBudget, TheGroupThenItsNameWithoutTheProvider) {
  const auto budgets = parsed(R"({"gpt-4o": 1, "openai/gpt-4o-mini": 2, "gpt-4o-mini": 3})");
  EXPECT_EQ(find_model_budget(budgets, "gpt-4o"), &budgets[0]);
  EXPECT_EQ(find_model_budget(budgets, "openai/gpt-4o"), &budgets[0]);
  EXPECT_EQ(find_model_budget(budgets, "openai/gpt-4o-mini"), &budgets[1])
      << "the most specific name first";
  EXPECT_EQ(find_model_budget(budgets, "azure/gpt-4o-mini"), &budgets[2]);
  EXPECT_EQ(find_model_budget(budgets, "claude"), nullptr);
  EXPECT_EQ(find_model_budget(budgets, "gpt-4o-2024"), nullptr);
  EXPECT_EQ(find_model_budget({}, "gpt-4o"), nullptr);
}

TEST(WindowSpend, CountsWithinTheWindowAndStartsTheNextAtZero) {
  constexpr store::Millis kDay = 86'400'000;
  WindowSpend spend(store::parse_duration("1d"), 10 * kDay + 5, 0.25);
  EXPECT_DOUBLE_EQ(spend.value(10 * kDay + 6), 0.25);
  spend.add(0.5, 10 * kDay + 7);
  EXPECT_DOUBLE_EQ(spend.value(11 * kDay - 1), 0.75);
  EXPECT_DOUBLE_EQ(spend.value(11 * kDay), 0) << "the next UTC day";
  spend.add(0.125, 11 * kDay + 3);
  EXPECT_DOUBLE_EQ(spend.value(11 * kDay + 4), 0.125) << "the old window's spend is gone";
}

TEST(WindowSpend, WithoutAPeriodItNeverResets) {
  WindowSpend spend(std::nullopt, 0, 1);
  spend.add(1, 100 * 365 * 86'400'000LL);
  EXPECT_DOUBLE_EQ(spend.value(200 * 365 * 86'400'000LL), 2);
}

}  // namespace
}  // namespace llmux::auth
