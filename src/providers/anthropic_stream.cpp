#include "providers/anthropic.hpp"

#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "providers/anthropic_family.hpp"
#include "providers/anthropic_internal.hpp"
#include "providers/chunk_writer.hpp"
#include "providers/json_fields.hpp"
#include "providers/sse_stream_decoder.hpp"
#include "providers/wire/sse.hpp"

#include <boost/json/serialize.hpp>

namespace llmux::providers {

namespace json = boost::json;

namespace anthropic {
namespace {

// An in-stream `error` event as the call's failure.
Error error_of_event(const json::object& event) {
  const auto* error = object_at(event, "error");
  const auto type = error ? string_at(*error, "type") : std::string_view("api_error");
  std::string message(error ? string_at(*error, "message") : std::string_view());
  if (message.empty()) message = "The upstream stream reported an error.";
  return anthropic_error(status_of_error_type(type), type, std::move(message));
}

class AnthropicStreamDecoder final : public SseStreamDecoder {
 public:
  AnthropicStreamDecoder(std::string_view client_model, bool include_usage, bool json_mode,
                         std::size_t max_event_bytes)
      : SseStreamDecoder(max_event_bytes),
        chunks_(make_object_id("chatcmpl-"), unix_seconds(), client_model),
        include_usage_(include_usage),
        json_mode_(json_mode) {}

  const api::Usage& usage() const override { return usage_; }

 private:
  enum class Block { none, text, tool, json_tool, thinking, other };

  Result<void> on_event(const wire::SseEventView& event, std::string& out) override {
    if (event.data.empty()) return {};
    const ParsedJson parsed(event.data);
    if (!parsed.ok() || !parsed.object()) {
      return upstream_failure("The upstream stream sent an event that is not a JSON object.");
    }
    return on_message_event(*parsed.object(), out);
  }

  Result<void> on_close(std::string& out) override {
    // message_delta came, only message_stop is missing: the answer is whole.
    if (!finish_sent_) return ended_early();
    end_stream(out);
    return {};
  }

  Result<void> on_message_event(const json::object& event, std::string& out) {
    const auto type = string_at(event, "type");
    if (type == "message_start") {
      if (const auto* message = object_at(event, "message")) {
        if (const auto* usage = object_at(*message, "usage")) update_usage(*usage);
      }
      role_pending_ = true;
      return {};
    }
    if (type == "ping") return {};
    if (type == "error") return error_of_event(event);
    // The answer is under way: the role chunk goes first, as OpenAI and LiteLLM send it. It waits
    // for this event so that an error right after message_start (typically overloaded_error)
    // still reaches the client as a JSON error with its status.
    if (role_pending_) {
      chunks_.write(out, R"({"role":"assistant","content":""})");
      role_pending_ = false;
    }
    if (type == "content_block_start") {
      if (const auto* block = object_at(event, "content_block")) on_block_start(*block, out);
    } else if (type == "content_block_delta") {
      if (const auto* delta = object_at(event, "delta")) on_block_delta(*delta, out);
    } else if (type == "content_block_stop") {
      // Clients parse the arguments of every call: a call that streamed none gets "{}" (LiteLLM).
      if (block_ == Block::tool && !arguments_sent_) tool_arguments(out, "{}");
      block_ = Block::none;
    } else if (type == "message_delta") {
      if (const auto* usage = object_at(event, "usage")) update_usage(*usage);
      const auto* delta = object_at(event, "delta");
      std::string_view reason =
          finish_reason_of_stop(delta ? string_at(*delta, "stop_reason") : "");
      if (json_tool_used_ && reason == "tool_calls") reason = "stop";
      if (!finish_sent_) {
        chunks_.write(out, "{}", reason);
        finish_sent_ = true;
      }
    } else if (type == "message_stop") {
      end_stream(out);
    }
    // Event types newer than this code: nothing to relay (the API says to ignore them).
    return {};
  }

  void on_block_start(const json::object& block, std::string& out) {
    const auto type = string_at(block, "type");
    arguments_sent_ = false;
    if (type == "text") {
      block_ = Block::text;
      if (const auto text = string_at(block, "text"); !text.empty())
        chunks_.write_content(out, text);
    } else if (type == "tool_use") {
      if (json_mode_ && string_at(block, "name") == kJsonToolName) {
        block_ = Block::json_tool;
        json_tool_used_ = true;
        return;
      }
      block_ = Block::tool;
      tool_index_ = tools_seen_++;
      std::string id(string_at(block, "id"));
      if (id.empty()) id = make_object_id("call_");
      chunks_.open(out);
      out += "{\"tool_calls\":[";
      append_tool_call(out, tool_index_, id, string_at(block, "name"), "");
      out += "]}";
      chunks_.close(out);
    } else if (type == "thinking") {
      block_ = Block::thinking;
      if (const auto text = string_at(block, "thinking"); !text.empty()) thinking_text(out, text);
    } else if (type == "redacted_thinking") {
      block_ = Block::other;
      chunks_.write(out, "{\"thinking_blocks\":[" + json::serialize(block) + "]}");
    } else {
      block_ = Block::other;
    }
  }

  void on_block_delta(const json::object& delta, std::string& out) {
    const auto type = string_at(delta, "type");
    if (type == "text_delta") {
      chunks_.write_content(out, string_at(delta, "text"));
    } else if (type == "input_json_delta") {
      const auto partial = string_at(delta, "partial_json");
      if (block_ == Block::tool) {
        tool_arguments(out, partial);
      } else if (block_ == Block::json_tool && !partial.empty()) {
        chunks_.write_content(out, partial);
      }
    } else if (type == "thinking_delta") {
      thinking_text(out, string_at(delta, "thinking"));
    } else if (type == "signature_delta") {
      chunks_.open(out);
      out += R"({"thinking_blocks":[{"type":"thinking","thinking":"","signature":)";
      append_json_string(out, string_at(delta, "signature"));
      out += "}]}";
      chunks_.close(out);
    }
  }

  void tool_arguments(std::string& out, std::string_view arguments) {
    if (!arguments.empty()) arguments_sent_ = true;
    chunks_.write_tool_arguments(out, tool_index_, arguments);
  }

  // LiteLLM's reasoning fields: the text as reasoning_content, and as a thinking block.
  void thinking_text(std::string& out, std::string_view text) {
    chunks_.open(out);
    out += "{\"reasoning_content\":";
    append_json_string(out, text);
    out += R"(,"thinking_blocks":[{"type":"thinking","thinking":)";
    append_json_string(out, text);
    out += "}]}";
    chunks_.close(out);
  }

  void update_usage(const json::object& usage) {
    tokens_.update(usage);
    usage_ = tokens_.openai();
  }

  void end_stream(std::string& out) {
    if (include_usage_) {
      std::string usage;
      tokens_.append_json(usage);
      chunks_.write_usage(out, usage);
    }
    out += "data: [DONE]\n\n";
    mark_done();
  }

  ChunkWriter chunks_;
  bool include_usage_;
  bool json_mode_;
  TokenCounts tokens_;
  api::Usage usage_;
  Block block_ = Block::none;
  int tools_seen_ = 0;  // OpenAI numbers tool calls 0, 1, … whatever their block index
  int tool_index_ = 0;  // the OpenAI index of the tool block being streamed
  bool arguments_sent_ = false;
  bool json_tool_used_ = false;
  bool role_pending_ = false;  // message_start came; the role chunk waits for the next event
  bool finish_sent_ = false;
};

// A passed-through call's stream: Anthropic's events relayed as they came (each event's data
// unchanged), their usage read on the way. message_start (and a ping) waits for the next event,
// so that an error right after it (typically overloaded_error) is still an ordinary error the
// router may retry elsewhere; an error event is the stream's failure, which the dialect writes
// itself. An event without an `event:` line (Bedrock's chunks, re-framed) is named by its type.
class PassThroughStreamDecoder final : public SseStreamDecoder {
 public:
  explicit PassThroughStreamDecoder(std::size_t max_event_bytes)
      : SseStreamDecoder(max_event_bytes) {}

  const api::Usage& usage() const override { return usage_; }

 private:
  Result<void> on_event(const wire::SseEventView& event, std::string& out) override {
    const ParsedJson parsed(event.data);
    const auto* data = parsed.object();
    if (!parsed.ok() || !data)
      return upstream_failure("The upstream stream sent an event that is not a JSON object.");
    const auto type = string_at(*data, "type");
    if (type == "error") return error_of_event(*data);
    const auto* usage = object_at(*data, "usage");
    if (type == "message_start") {
      if (const auto* message = object_at(*data, "message")) usage = object_at(*message, "usage");
    }
    if (usage) {
      tokens_.update(*usage);
      usage_ = tokens_.openai();
    }
    const std::string_view name = event.event.empty() ? type : event.event;
    if (type == "message_start" || type == "ping") {
      append_event(held_, name, event.data);
      return {};
    }
    out += held_;
    held_.clear();
    append_event(out, name, event.data);
    if (type == "message_delta") ended_ = true;
    if (type == "message_stop") mark_done();
    return {};
  }

  static void append_event(std::string& out, std::string_view name, std::string_view data) {
    if (!name.empty()) {
      out += "event: ";
      out += name;
      out += '\n';
    }
    wire::append_data_event(out, data);
  }

  Result<void> on_close(std::string& out) override {
    // message_delta came, only message_stop is missing: the message is whole.
    if (!ended_) return ended_early();
    out += held_;
    out += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    return {};
  }

  TokenCounts tokens_;
  api::Usage usage_;
  std::string held_;  // message_start and pings, until the next event
  bool ended_ = false;
};

}  // namespace
}  // namespace anthropic

std::unique_ptr<StreamDecoder> make_messages_event_relay(std::size_t max_event_bytes) {
  return std::make_unique<anthropic::PassThroughStreamDecoder>(max_event_bytes);
}

std::unique_ptr<StreamDecoder> AnthropicProvider::make_stream_decoder(
    const api::Request& request, std::string_view client_model, std::size_t max_event_bytes) const {
  if (request.endpoint == api::Endpoint::messages)
    return make_messages_event_relay(max_event_bytes);
  return std::make_unique<anthropic::AnthropicStreamDecoder>(
      client_model, request.include_usage, anthropic::is_json_mode(request), max_event_bytes);
}

}  // namespace llmux::providers
