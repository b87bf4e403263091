#include "providers/anthropic_family.hpp"

#include "provider_test.hpp"

#include <string>
#include <vector>

namespace llmux::providers {
namespace {

// A wire whose blocks name what they came from, and that records the order of its calls.
class RecordingWire final : public ConversationWire {
 public:
  Result<void> content(const json::object& message, std::string_view role,
                       json::array& blocks) override {
    calls.push_back("content:" + std::string(role));
    const auto* content = message.if_contains("content");
    if (content && content->is_string() && !content->get_string().empty())
      blocks.push_back(*content);
    return {};
  }
  void thinking(const json::array& thinking_blocks, json::array& blocks) override {
    calls.emplace_back("thinking");
    for (const auto& block : thinking_blocks) blocks.push_back(block);
  }
  Result<void> tool_calls(const json::value& calls_value, json::array& blocks) override {
    calls.emplace_back("tool_calls");
    blocks.push_back(json::value("calls"));
    (void)calls_value;
    return {};
  }
  Result<void> tool_result(const json::object& message, std::string_view role,
                           json::array& blocks) override {
    calls.push_back("tool_result:" + std::string(role));
    blocks.push_back(message.at("content"));
    return {};
  }
  void message_done(const json::object& /*message*/, json::array& blocks) override {
    calls.push_back("done:" + std::to_string(blocks.size()));
  }
  Error refuse(MessageProblem problem, std::string_view role) const override {
    return make_error(ErrorKind::invalid_request,
                      std::to_string(static_cast<int>(problem)) + ":" + std::string(role));
  }

  std::vector<std::string> calls;
};

Result<Conversation> walk(std::string_view messages, RecordingWire& wire) {
  const json::value parsed = json::parse(messages);
  return walk_conversation(&parsed, wire);
}

TEST(WalkConversation, LiftsSystemMessagesAndMergesTurnsOfOneRole) {
  RecordingWire wire;
  const auto conversation = walk(R"([
      {"role": "system", "content": "S1"},
      {"role": "user", "content": "U1"},
      {"role": "developer", "content": "S2"},
      {"role": "user", "content": "U2"},
      {"role": "assistant", "content": "A1", "thinking_blocks": ["T"], "tool_calls": [{}]},
      {"role": "tool", "content": "R1"},
      {"role": "function", "content": "R2"},
      {"role": "user", "content": ""},
      {"role": "assistant", "content": "A2"}])",
                                 wire);
  ASSERT_TRUE(conversation) << conversation.error().message;
  EXPECT_EQ(json::serialize(conversation->system), R"(["S1","S2"])");
  EXPECT_EQ(json::serialize(conversation->turns),
            R"([{"role":"user","content":["U1","U2"]},)"
            R"({"role":"assistant","content":["T","A1","calls"]},)"
            R"({"role":"user","content":["R1","R2"]},)"
            R"({"role":"assistant","content":["A2"]}])");
  // Thinking, content, tool calls in that order; a message without blocks is not "done".
  EXPECT_EQ(wire.calls,
            (std::vector<std::string>{"content:system", "done:1", "content:user", "done:1",
                                      "content:system", "done:1", "content:user", "done:1",
                                      "thinking", "content:assistant", "tool_calls", "done:3",
                                      "tool_result:tool", "done:1", "tool_result:function",
                                      "done:1", "content:user", "content:assistant", "done:1"}));
}

TEST(WalkConversation, NullToolCallsAreNone) {
  RecordingWire wire;
  const auto conversation =
      walk(R"([{"role": "assistant", "content": "A", "tool_calls": null}])", wire);
  ASSERT_TRUE(conversation);
  EXPECT_EQ(wire.calls, (std::vector<std::string>{"content:assistant", "done:1"}));
}

TEST(WalkConversation, TheWireWordsEachProblem) {
  RecordingWire wire;
  auto message_of = [&](std::string_view messages) {
    const auto conversation = walk(messages, wire);
    return conversation ? std::string("accepted") : conversation.error().message;
  };
  EXPECT_EQ(message_of(R"({"role": "user"})"), "0:");
  EXPECT_EQ(message_of(R"(["hello"])"), "1:");
  EXPECT_EQ(message_of(R"([{"content": "no role"}])"), "2:");
  EXPECT_EQ(message_of(R"([{"role": 7}])"), "2:");
  EXPECT_EQ(message_of(R"([{"role": "narrator", "content": "x"}])"), "3:narrator");
  EXPECT_EQ(walk_conversation(nullptr, wire).error().message, "0:");
}

TEST(JsonResponseFormat, OnlyJsonFormatsOfTheRequestItself) {
  const auto format_of = [](std::string_view body) {
    return json_response_format(parsed_request(api::Endpoint::chat_completions, body)) != nullptr;
  };
  EXPECT_TRUE(format_of(
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}})"));
  EXPECT_TRUE(format_of(
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{}}})"));
  EXPECT_FALSE(format_of(
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"text"}})"));
  EXPECT_FALSE(format_of(
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":"json_object"})"));
  EXPECT_FALSE(format_of(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"));
}

TEST(ThinkingBudget, LiteLlmsBudgets) {
  EXPECT_EQ(thinking_budget("none"), 0);
  EXPECT_EQ(thinking_budget("minimal"), 1024);
  EXPECT_EQ(thinking_budget("low"), 1024);
  EXPECT_EQ(thinking_budget("medium"), 2048);
  EXPECT_EQ(thinking_budget("high"), 4096);
  EXPECT_EQ(thinking_budget("extreme"), std::nullopt);
}

TEST(FinishReasonOfStop, BothApisStopReasons) {
  EXPECT_EQ(finish_reason_of_stop("end_turn"), "stop");
  EXPECT_EQ(finish_reason_of_stop("stop_sequence"), "stop");
  EXPECT_EQ(finish_reason_of_stop("pause_turn"), "stop");
  EXPECT_EQ(finish_reason_of_stop("max_tokens"), "length");
  EXPECT_EQ(finish_reason_of_stop("tool_use"), "tool_calls");
  EXPECT_EQ(finish_reason_of_stop("refusal"), "content_filter");
  EXPECT_EQ(finish_reason_of_stop("guardrail_intervened"), "content_filter");
  EXPECT_EQ(finish_reason_of_stop("content_filtered"), "content_filter");
}

}  // namespace
}  // namespace llmux::providers
