// LiteLLM's Slack alert message, as its Slack alerting formats it.
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

}  // namespace
}  // namespace llmux::handlers
