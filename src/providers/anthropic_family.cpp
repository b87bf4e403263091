#include "providers/anthropic_family.hpp"

#include "providers/json_fields.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace llmux::providers {

namespace json = boost::json;

namespace {

// Appends `blocks` as a turn of `role`, merged into the previous turn when it has the same role.
void append_turn(json::array& turns, std::string_view role, json::array blocks) {
  if (!turns.empty()) {
    auto& last = turns.back().get_object();
    if (last.at("role").get_string() == role) {
      auto& content = last.at("content").get_array();
      for (auto& block : blocks) content.push_back(std::move(block));
      return;
    }
  }
  turns.push_back(json::object{{"role", role}, {"content", std::move(blocks)}});
}

}  // namespace

const json::object* json_response_format(const api::Request& request) {
  const auto* format = object_at(request.body, "response_format");
  if (!format) return nullptr;
  const auto type = string_at(*format, "type");
  return type == "json_object" || type == "json_schema" ? format : nullptr;
}

const json::object* json_schema_spec(const json::object& format) {
  return object_at(format, "json_schema");
}

std::optional<int> thinking_budget(std::string_view effort) {
  static constexpr std::pair<std::string_view, int> kBudgets[] = {
      {"none", 0}, {"minimal", 1024}, {"low", 1024}, {"medium", 2048}, {"high", 4096}};
  const auto* known = std::ranges::find(kBudgets, effort, &std::pair<std::string_view, int>::first);
  if (known == std::end(kBudgets)) return std::nullopt;
  return known->second;
}

std::string_view finish_reason_of_stop(std::string_view stop_reason) {
  if (stop_reason == "max_tokens") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  // Anthropic's refusal; Bedrock's guardrail and content filter.
  if (stop_reason == "refusal" || stop_reason == "guardrail_intervened" ||
      stop_reason == "content_filtered")
    return "content_filter";
  return "stop";
}

Result<Conversation> walk_conversation(const json::value* messages, ConversationWire& wire) {
  const auto* list = messages ? messages->if_array() : nullptr;
  if (!list) return wire.refuse(MessageProblem::not_a_list, {});
  Conversation out;
  for (const auto& item : *list) {
    const auto* message = item.if_object();
    if (!message) return wire.refuse(MessageProblem::not_an_object, {});
    const auto* role_value = message->if_contains("role");
    if (!role_value || !role_value->is_string()) return wire.refuse(MessageProblem::no_role, {});
    const std::string_view role = role_value->get_string();
    json::array blocks;
    std::string_view turn;  // empty for a system message
    if (role == "system" || role == "developer") {
      if (auto added = wire.content(*message, "system", blocks); !added) return added.error();
    } else if (role == "user") {
      turn = "user";
      if (auto added = wire.content(*message, "user", blocks); !added) return added.error();
    } else if (role == "assistant") {
      turn = "assistant";
      if (const auto* thinking = array_at(*message, "thinking_blocks"))
        wire.thinking(*thinking, blocks);
      if (auto added = wire.content(*message, "assistant", blocks); !added) return added.error();
      if (const auto* calls = message->if_contains("tool_calls"); calls && !calls->is_null()) {
        if (auto added = wire.tool_calls(*calls, blocks); !added) return added.error();
      }
    } else if (role == "tool" || role == "function") {
      turn = "user";
      if (auto added = wire.tool_result(*message, role, blocks); !added) return added.error();
    } else {
      return wire.refuse(MessageProblem::unknown_role, role);
    }
    if (blocks.empty()) continue;
    wire.message_done(*message, blocks);
    if (turn.empty()) {
      for (auto& block : blocks) out.system.push_back(std::move(block));
    } else {
      append_turn(out.turns, turn, std::move(blocks));
    }
  }
  return out;
}

}  // namespace llmux::providers
