// What Anthropic's Messages API and Bedrock's Converse API (built on its model) share when they
// carry an OpenAI chat: the walk from OpenAI messages to a system list and alternating turns,
// the response_format tool, reasoning_effort budgets and the stop-reason map. Each wire's own
// block shapes stay in its own files (anthropic_request.cpp, bedrock_request.cpp).
#pragma once

#include "api/request.hpp"
#include "base/error.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string_view>

namespace llmux::providers {

// LiteLLM's RESPONSE_FORMAT_TOOL_NAME: the forced tool that carries a JSON-mode answer.
inline constexpr std::string_view kJsonToolName = "json_tool_call";

// The request's response_format when it asks for JSON (json_object or json_schema), else
// nullptr. Only the request's own counts: decoding sees the request, not the deployment.
const boost::json::object* json_response_format(const api::Request& request);

// The format's json_schema ({name, description, schema}), when it has one.
const boost::json::object* json_schema_spec(const boost::json::object& format);

// reasoning_effort → a thinking budget in tokens, as LiteLLM maps it ("none": 0, no thinking);
// nullopt for a value it does not know.
std::optional<int> thinking_budget(std::string_view effort);

// Anthropic's stop_reason, or Converse's stopReason, → OpenAI's finish_reason (LiteLLM's map);
// reasons it does not list (end_turn, stop_sequence, pause_turn, newer ones) are a stop.
std::string_view finish_reason_of_stop(std::string_view stop_reason);

struct Conversation {
  boost::json::array system;  // the system (and developer) messages' blocks
  boost::json::array turns;   // {"role": "user" | "assistant", "content": [blocks]}, alternating
};

enum class MessageProblem { not_a_list, not_an_object, no_role, unknown_role };

// How one wire writes the blocks of each message; walk_conversation decides where they go.
class ConversationWire {
 public:
  // The message's content as blocks; `role` is "system" (also for developer messages), "user"
  // or "assistant".
  virtual Result<void> content(const boost::json::object& message, std::string_view role,
                               boost::json::array& blocks) = 0;
  // An assistant's thinking_blocks (as LiteLLM returns them), which go before its content: the
  // model needs its signed thinking back when a turn continues after a tool call.
  virtual void thinking(const boost::json::array& thinking_blocks, boost::json::array& blocks) = 0;
  // An assistant's tool_calls (present and not null), which go after its content.
  virtual Result<void> tool_calls(const boost::json::value& calls, boost::json::array& blocks) = 0;
  // A tool (or function, by `role`) message: its result, which goes into a user turn.
  virtual Result<void> tool_result(const boost::json::object& message, std::string_view role,
                                   boost::json::array& blocks) = 0;
  // After a message's blocks, when it has any (message-level options such as cache_control).
  virtual void message_done(const boost::json::object& /*message*/,
                            boost::json::array& /*blocks*/) {}
  // The wire's error for a message list it cannot take (`role` for unknown_role).
  virtual Error refuse(MessageProblem problem, std::string_view role) const = 0;

 protected:
  ~ConversationWire() = default;
};

// OpenAI messages → a Conversation: system and developer messages lifted to `system`, tool
// results as user turns, an assistant's thinking, content and tool calls in that order, and
// consecutive messages of one turn role merged (both APIs want user and assistant to alternate).
Result<Conversation> walk_conversation(const boost::json::value* messages, ConversationWire& wire);

}  // namespace llmux::providers
