#include "providers/bedrock.hpp"

#include "base/ids.hpp"
#include "providers/anthropic.hpp"
#include "providers/anthropic_family.hpp"
#include "providers/bedrock_internal.hpp"
#include "providers/chunk_writer.hpp"
#include "providers/json_fields.hpp"
#include "providers/wire/aws_event_stream.hpp"
#include "providers/wire/base64.hpp"
#include "providers/wire/sse.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <optional>
#include <vector>

namespace llmux::providers {

namespace json = boost::json;

namespace bedrock {
namespace {

// An exception (or error) message of a Bedrock stream as the call's failure.
Error stream_exception(const wire::EventStreamMessage& message) {
  const std::string_view name =
      message.message_type == "error" ? message.error_code : message.exception_type;
  Error error{.kind = kind_of_exception(name).value_or(ErrorKind::upstream_failed)};
  error.message =
      message.message_type == "error" ? message.error_message : message_in(message.payload);
  if (error.message.empty())
    error.message = "The Bedrock stream failed with " + std::string(name) + ".";
  refine_by_message(error);
  return error;
}

Error malformed_frame(const Error& cause) {
  return make_error(
      ErrorKind::upstream_failed,
      "The Bedrock stream sent a malformed event-stream frame (" + cause.message + ")");
}

class BedrockStreamDecoder final : public StreamDecoder {
 public:
  BedrockStreamDecoder(std::string_view client_model, std::int64_t created, bool include_usage,
                       std::optional<std::string> json_tool, std::size_t max_message_bytes)
      : chunks_(make_object_id("chatcmpl-"), created, client_model),
        include_usage_(include_usage),
        json_tool_(std::move(json_tool)),
        frames_(max_message_bytes) {}

  Result<void> feed(std::string_view bytes, std::string& out) override {
    messages_.clear();
    auto fed = frames_.feed(bytes, messages_);
    for (const auto& message : messages_) {
      if (done_) break;
      if (auto handled = handle(message, out); !handled) return handled;
    }
    if (!fed) return malformed_frame(fed.error());
    return {};
  }

  Result<void> finish(std::string& out) override {
    if (done_) return {};
    if (stop_reason_seen_ &&
        !frames_.has_partial_message()) {  // no metadata: the answer is complete
      out += "data: [DONE]\n\n";
      done_ = true;
      return {};
    }
    return make_error(ErrorKind::upstream_failed,
                      "The upstream closed the stream before it was complete.");
  }

  bool done() const override { return done_; }
  const api::Usage& usage() const override { return usage_; }

 private:
  Result<void> handle(const wire::EventStreamMessage& message, std::string& out) {
    if (message.message_type == "exception" || message.message_type == "error")
      return exception(message);
    if (message.message_type != "event") return {};
    json::error_code ec;
    const json::value parsed = json::parse(message.payload, ec);
    if (ec || !parsed.is_object()) {
      return make_error(ErrorKind::upstream_failed,
                        "The Bedrock stream sent an event that is not a JSON object.");
    }
    const auto& event = parsed.get_object();
    const std::string_view type = message.event_type;
    if (type == "messageStart") {
      write_chunk(out, json::object{{"role", "assistant"}, {"content", ""}});
    } else if (type == "contentBlockStart") {
      const auto* start = event.if_contains("start");
      const auto* tool =
          start && start->is_object() ? start->get_object().if_contains("toolUse") : nullptr;
      if (tool && tool->is_object()) start_tool(block_index(event), tool->get_object(), out);
    } else if (type == "contentBlockDelta") {
      const auto* delta = event.if_contains("delta");
      if (delta && delta->is_object()) content_delta(block_index(event), delta->get_object(), out);
    } else if (type == "messageStop") {
      std::string_view finish = finish_reason_of_stop(string_at(event, "stopReason"));
      if (json_tool_ && finish == "tool_calls" && tool_blocks_.empty()) finish = "stop";
      write_chunk(out, json::object(), finish);
      stop_reason_seen_ = true;
    } else if (type == "metadata") {
      json::object usage = usage_object(event.if_contains("usage"), usage_);
      if (include_usage_ && usage_.reported) {
        chunks_.write_usage(out, json::serialize(usage));
      }
      out += "data: [DONE]\n\n";
      done_ = true;
    }
    return {};  // contentBlockStop and events added later carry nothing for the client
  }

  static std::int64_t block_index(const json::object& event) {
    const auto* index = event.if_contains("contentBlockIndex");
    return index && index->is_int64() ? index->get_int64() : -1;
  }

  void start_tool(std::int64_t block, const json::object& tool, std::string& out) {
    const auto* name = tool.if_contains("name");
    if (json_tool_ && name && name->is_string() && name->get_string() == *json_tool_) {
      json_blocks_.push_back(block);  // its input is the answer's content
      return;
    }
    const std::int64_t index = static_cast<std::int64_t>(tool_blocks_.size());
    tool_blocks_.push_back(block);
    json::object call{{"index", index},
                      {"id", tool.contains("toolUseId") ? tool.at("toolUseId") : json::value("")},
                      {"type", "function"},
                      {"function", {{"name", name ? *name : json::value("")}, {"arguments", ""}}}};
    write_chunk(out, json::object{{"tool_calls", json::array{std::move(call)}}});
  }

  void content_delta(std::int64_t block, const json::object& delta, std::string& out) {
    if (const auto* text = delta.if_contains("text"); text && text->is_string()) {
      chunks_.write_content(out, text->get_string());
      return;
    }
    if (const auto* tool = delta.if_contains("toolUse"); tool && tool->is_object()) {
      const auto* input = tool->get_object().if_contains("input");
      if (!input || !input->is_string()) return;
      if (std::ranges::find(json_blocks_, block) != json_blocks_.end()) {
        chunks_.write_content(out, input->get_string());
        return;
      }
      const auto found = std::ranges::find(tool_blocks_, block);
      if (found == tool_blocks_.end()) return;  // input for a tool that never started
      chunks_.write_tool_arguments(out, found - tool_blocks_.begin(), input->get_string());
      return;
    }
    if (const auto* reasoning = delta.if_contains("reasoningContent");
        reasoning && reasoning->is_object()) {
      const auto& thought = reasoning->get_object();
      if (const auto* text = thought.if_contains("text"); text && text->is_string()) {
        write_chunk(
            out, json::object{{"reasoning_content", *text},
                              {"thinking_blocks", json::array{json::object{{"type", "thinking"},
                                                                           {"thinking", *text}}}}});
      } else if (const auto* signature = thought.if_contains("signature")) {
        write_chunk(out, json::object{{"thinking_blocks",
                                       json::array{json::object{{"type", "thinking"},
                                                                {"thinking", ""},
                                                                {"signature", *signature}}}}});
      } else if (const auto* redacted = thought.if_contains("redactedContent")) {
        write_chunk(out, json::object{{"thinking_blocks",
                                       json::array{json::object{{"type", "redacted_thinking"},
                                                                {"data", *redacted}}}}});
      }
    }
  }

  Result<void> exception(const wire::EventStreamMessage& message) {
    done_ = true;
    return stream_exception(message);
  }

  void write_chunk(std::string& out, const json::object& delta,
                   std::string_view finish = {}) const {
    chunks_.write(out, json::serialize(delta), finish);
  }

  ChunkWriter chunks_;
  bool include_usage_;
  std::optional<std::string> json_tool_;  // the response_format tool, whose input is the content
  wire::EventStreamDecoder frames_;
  std::vector<wire::EventStreamMessage> messages_;
  std::vector<std::int64_t> tool_blocks_;  // contentBlockIndex of each tool call, by OpenAI index
  std::vector<std::int64_t> json_blocks_;  // blocks of the response_format tool
  api::Usage usage_;
  bool stop_reason_seen_ = false;
  bool done_ = false;
};

// InvokeModelWithResponseStream's answer to a Messages call: event-stream messages whose `chunk`
// events carry one Anthropic event each, base64 in {"bytes": …}. Each is handed on as an SSE
// event to the Messages event relay (the Anthropic pass-through's rules: held message_start,
// error events, the missing message_stop).
class InvokedMessagesStreamDecoder final : public StreamDecoder {
 public:
  explicit InvokedMessagesStreamDecoder(std::size_t max_event_bytes)
      : frames_(max_event_bytes), events_(make_messages_event_relay(max_event_bytes)) {}

  Result<void> feed(std::string_view bytes, std::string& out) override {
    messages_.clear();
    auto fed = frames_.feed(bytes, messages_);
    for (const auto& message : messages_) {
      if (events_->done()) break;
      if (message.message_type == "exception" || message.message_type == "error")
        return stream_exception(message);
      if (message.message_type != "event" || message.event_type != "chunk") continue;
      auto event = event_of_chunk(message.payload);
      if (!event) return event.error();
      sse_.clear();
      wire::append_data_event(sse_, *event);
      if (auto relayed = events_->feed(sse_, out); !relayed) return relayed;
    }
    if (!fed) return malformed_frame(fed.error());
    return {};
  }

  Result<void> finish(std::string& out) override {
    if (frames_.has_partial_message())
      return upstream_failure("The upstream closed the stream before it was complete.");
    return events_->finish(out);
  }

  bool done() const override { return events_->done(); }
  const api::Usage& usage() const override { return events_->usage(); }

 private:
  static Result<std::string> event_of_chunk(std::string_view payload) {
    const ParsedJson parsed(payload);
    const auto* chunk = parsed.object();
    auto event = chunk ? wire::base64_decoded(string_at(*chunk, "bytes")) : std::nullopt;
    if (!event || event->empty())
      return upstream_failure("The Bedrock stream sent a chunk without base64 event bytes.");
    return std::move(*event);
  }

  wire::EventStreamDecoder frames_;
  std::unique_ptr<StreamDecoder> events_;
  std::vector<wire::EventStreamMessage> messages_;
  std::string sse_;
};

}  // namespace
}  // namespace bedrock

std::unique_ptr<StreamDecoder> BedrockProvider::make_stream_decoder(
    const api::Request& request, std::string_view client_model, std::size_t max_event_bytes) const {
  if (request.endpoint == api::Endpoint::messages)
    return std::make_unique<bedrock::InvokedMessagesStreamDecoder>(max_event_bytes);
  return std::make_unique<bedrock::BedrockStreamDecoder>(
      client_model, unix_seconds(now_()), request.include_usage, bedrock::json_tool_name(request),
      max_event_bytes);
}

}  // namespace llmux::providers
