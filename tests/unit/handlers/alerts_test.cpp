// LiteLLM's Slack alert message, as its Slack alerting formats it; its budget alerts' events and
// the WebhookEvent JSON of its webhook channel.
#include "handlers/alerts.hpp"

#include <gtest/gtest.h>

namespace llmux::handlers {
namespace {

TEST(SlackAlertText, LevelTimestampMessageThenEachFieldInBackticks) {
  const std::pair<std::string_view, std::string> fields[] = {
      {"Request Model", "gpt-4o"}, {"API Base", "https://api.openai.com/v1"}};
  EXPECT_EQ(slack_alert_text("Low", "12:00:05",
                             "Responses are slow - 412.3s response time > Alerting threshold: "
                             "300.0s",
                             fields),
            "Level: `Low`\n"
            "Timestamp: `12:00:05`\n"
            "\n"
            "Message: Responses are slow - 412.3s response time > Alerting threshold: 300.0s\n"
            "\n"
            "Request Model: `gpt-4o`\n"
            "\n"
            "API Base: `https://api.openai.com/v1`");
  EXPECT_EQ(slack_alert_text("High", "00:00:00", "down", {}),
            "Level: `High`\nTimestamp: `00:00:00`\n\nMessage: down");
}

TEST(BudgetEvent, LiteLlmsThresholdsTheMaxBudgetWinsOverTheSoftOne) {
  EXPECT_FALSE(budget_event("Key Budget: ", 8, 10.0, std::nullopt));  // 20 % left
  const auto fifteen = budget_event("Key Budget: ", 8.6, 10.0, std::nullopt);
  ASSERT_TRUE(fifteen);
  EXPECT_EQ(fifteen->kind, BudgetEvent::threshold_crossed);
  EXPECT_EQ(fifteen->message, "Key Budget: 15% Threshold Crossed");
  const auto five = budget_event("Team Budget: ", 9.5, 10.0, std::nullopt);
  ASSERT_TRUE(five);
  EXPECT_EQ(five->kind, BudgetEvent::threshold_crossed);
  EXPECT_EQ(five->message, "Team Budget: 5% Threshold Crossed");
  const auto crossed = budget_event("User Budget: ", 10, 10.0, std::nullopt);
  ASSERT_TRUE(crossed);
  EXPECT_EQ(crossed->kind, BudgetEvent::budget_crossed);
  EXPECT_EQ(crossed->message, "User Budget: Budget Crossed\n Total Budget:`10.0`");

  const auto soft = budget_event("Key Budget: ", 2.5, std::nullopt, 2.5);
  ASSERT_TRUE(soft);
  EXPECT_EQ(soft->kind, BudgetEvent::soft_budget_crossed);
  EXPECT_EQ(soft->message, "Key Budget: Total Soft Budget:`2.5`");
  EXPECT_FALSE(budget_event("Key Budget: ", 2.4, std::nullopt, 2.5));
  // Both reached: the event is the max budget's, the message says both (as LiteLLM's).
  const auto both = budget_event("Key Budget: ", 10, 10.0, 2.0);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->kind, BudgetEvent::budget_crossed);
  EXPECT_EQ(both->message,
            "Key Budget: Total Soft Budget:`2.0`Budget Crossed\n Total Budget:`10.0`");
  EXPECT_EQ(budget_event_name(BudgetEvent::soft_budget_crossed), "soft_budget_crossed");
}

TEST(WebhookEventJson, CallInfoFieldsNullWhenUnknownThenTheEvent) {
  const BudgetSubject subject{.event_group = "key",
                              .spend = 0.25,
                              .max_budget = 1.0,
                              .token = "ab12",
                              .key_alias = "ci",
                              .team_id = "",
                              .user_id = "alice"};
  const BudgetEvent event{BudgetEvent::threshold_crossed, "Key Budget: 15% Threshold Crossed"};
  EXPECT_EQ(webhook_event_json(subject, event),
            R"({"spend":0.25,"max_budget":1,"soft_budget":null,"token":"ab12","customer_id":null,)"
            R"("user_id":"alice","team_id":null,"team_alias":null,"user_email":null,)"
            R"("key_alias":"ci","projected_exceeded_date":null,"projected_spend":null,)"
            R"("event_group":"key","event":"threshold_crossed",)"
            R"("event_message":"Key Budget: 15% Threshold Crossed"})");
}

TEST(CooldownMessage, GroupApiBaseCooldownSecondsAndStatusInBackticks) {
  EXPECT_EQ(cooldown_message("gpt-4o", "https://api.openai.com/v1", std::chrono::seconds(5), 429),
            "Router: Cooling down Deployment:\n"
            "Model Name: `gpt-4o`\n"
            "API Base: `https://api.openai.com/v1`\n"
            "Cooldown Time: `5.0 seconds`\n"
            "Exception Status Code: `429`");
  EXPECT_NE(cooldown_message("g", "b", std::chrono::milliseconds(1500), 500)
                .find("Cooldown Time: `1.5 seconds`"),
            std::string::npos);
}

TEST(AlertClaims, OnePerKeyAMinuteWhicheverWorkerAsks) {
  AlertClaims claims;
  const auto start = AlertClaims::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(claims.claim("cooldown_deployment:a", start));
  EXPECT_FALSE(claims.claim("cooldown_deployment:a", start + std::chrono::seconds(59)));
  EXPECT_TRUE(claims.claim("cooldown_deployment:b", start + std::chrono::seconds(1)));
  EXPECT_TRUE(claims.claim("cooldown_deployment:a", start + std::chrono::seconds(60)));
}

TEST(LiveSpendBudgetAlert, OnePerEventInTheTtl) {
  auth::LiveSpend spend;
  EXPECT_TRUE(spend.claim_budget_alert(BudgetEvent::threshold_crossed, 1'000, 60'000));
  EXPECT_FALSE(spend.claim_budget_alert(BudgetEvent::threshold_crossed, 2'000, 60'000));
  EXPECT_TRUE(spend.claim_budget_alert(BudgetEvent::budget_crossed, 2'000, 60'000));
  EXPECT_TRUE(spend.claim_budget_alert(BudgetEvent::threshold_crossed, 61'000, 60'000));
}

}  // namespace
}  // namespace llmux::handlers
