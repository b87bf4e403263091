#include "providers/gemini.hpp"

#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "providers/chunk_writer.hpp"
#include "providers/gemini_internal.hpp"
#include "providers/json_fields.hpp"
#include "providers/sse_stream_decoder.hpp"
#include "providers/wire/sse.hpp"

#include <optional>
#include <vector>

namespace llmux::providers {

namespace json = boost::json;

namespace gemini {
namespace {

class GeminiStreamDecoder final : public SseStreamDecoder {
 public:
  GeminiStreamDecoder(std::string_view client_model, bool include_usage,
                      std::size_t max_event_bytes)
      : SseStreamDecoder(max_event_bytes),
        client_model_(client_model),
        created_(unix_seconds()),
        include_usage_(include_usage) {}

  const api::Usage& usage() const override { return usage_.usage; }

 private:
  struct ChoiceState {
    bool role_sent = false;
    bool called_tools = false;
  };

  Result<void> on_event(const wire::SseEventView& event, std::string& out) override {
    if (!event.event.empty()) {
      std::string message = "The upstream stream sent an event of unknown type '";
      append_valid_utf8(message, event.event, 64);
      return upstream_failure(message + "'.");
    }
    if (event.data.empty()) return {};
    return relay_event(event.data, out);
  }

  // Gemini has no end marker: the stream is complete when a finishReason came before the close.
  Result<void> on_close(std::string& out) override {
    if (!finished_) return ended_early();
    if (include_usage_) {
      std::string usage;
      append_usage(usage, usage_);
      chunks().write_usage(out, usage);
    }
    out += "data: [DONE]\n\n";
    mark_done();
    return {};
  }

  Result<void> relay_event(std::string_view data, std::string& out) {
    const ParsedJson parsed(data);
    if (!parsed.object())
      return upstream_failure("The upstream stream sent an event that is not a JSON object.");
    const auto& answer = *parsed.object();
    if (const auto* error = object_or_null(answer.if_contains("error")))
      return error_from_status(0, *error);
    if (auto blocked = prompt_blocked(answer)) return *blocked;
    chunks(&answer);  // the first answer gives every chunk its id
    if (const auto* metadata = object_or_null(answer.if_contains("usageMetadata")))
      usage_ = usage_of(*metadata);
    const auto* candidates = array_or_null(answer.if_contains("candidates"));
    if (!candidates) return {};
    for (std::size_t position = 0; position < candidates->size(); ++position) {
      const auto* candidate = (*candidates)[position].if_object();
      if (!candidate)
        return upstream_failure("The upstream stream sent a candidate that is not an object.");
      const auto index = candidate->contains("index")
                             ? api::token_count(candidate->if_contains("index"))
                             : static_cast<std::int64_t>(position);
      if (index < 0 || index > kMaxChoices)
        return upstream_failure("The upstream stream sent an unusable candidate index.");
      relay_candidate(*candidate, static_cast<std::size_t>(index), out);
    }
    return {};
  }

  void relay_candidate(const json::object& candidate, std::size_t index, std::string& out) {
    if (choices_.size() <= index) choices_.resize(index + 1);
    auto& state = choices_[index];
    parts_.clear();
    read_parts(candidate, parts_);
    const std::string index_text = std::to_string(index);
    const auto* logprobs = candidate.if_contains("logprobsResult");
    // An empty text part (Gemini closes some streams with one) is no delta.
    const bool has_text = !parts_.text.empty();
    if (has_text || !parts_.reasoning.empty() || !parts_.calls.empty()) {
      chunks().begin(out);
      out += "{\"index\":" + index_text + ",\"delta\":{";
      bool first = true;
      auto field = [&](std::string_view name) {
        if (!first) out += ',';
        first = false;
        out += name;
      };
      if (!state.role_sent) {
        field("\"role\":\"assistant\"");
        state.role_sent = true;
      }
      if (has_text) {
        field("\"content\":");
        append_json_string(out, parts_.text);
      }
      if (!parts_.reasoning.empty()) {
        field("\"reasoning_content\":");
        append_json_string(out, parts_.reasoning);
      }
      if (!parts_.calls.empty()) {
        field("\"tool_calls\":");
        append_tool_calls(out, parts_.calls, tool_calls_sent_);
        tool_calls_sent_ += static_cast<int>(parts_.calls.size());
        state.called_tools = true;
      }
      out += "},\"finish_reason\":null";
      if (logprobs) {
        out += ",\"logprobs\":";
        append_logprobs(out, candidate);
      }
      out += "}]}\n\n";
    }
    const auto reason = string_or_empty(candidate.if_contains("finishReason"));
    if (reason.empty()) return;
    std::string_view finish = finish_reason_of(reason);
    if (state.called_tools && finish != "content_filter") finish = "tool_calls";
    chunks().begin(out);
    // A choice that ends without any delta still says who speaks.
    out += "{\"index\":" + index_text +
           (state.role_sent ? ",\"delta\":{}" : ",\"delta\":{\"role\":\"assistant\"}");
    state.role_sent = true;
    out += ",\"finish_reason\":";
    append_json_string(out, finish);
    out += "}]}\n\n";
    finished_ = true;
  }

  // The chunk writer, made at the first answer so that every chunk carries Gemini's responseId.
  const ChunkWriter& chunks(const json::object* answer = nullptr) {
    if (!chunks_)
      chunks_.emplace(answer ? chat_id(*answer) : make_object_id("chatcmpl-"), created_,
                      client_model_);
    return *chunks_;
  }

  static constexpr std::int64_t kMaxChoices = 128;  // candidateCount is at most 8 today

  std::string client_model_;
  std::int64_t created_;
  std::optional<ChunkWriter> chunks_;
  bool include_usage_;
  std::vector<ChoiceState> choices_;
  CandidateParts parts_;
  GeminiUsage usage_;
  int tool_calls_sent_ = 0;
  bool finished_ = false;
};

}  // namespace
}  // namespace gemini

std::unique_ptr<StreamDecoder> GeminiProvider::make_stream_decoder(
    const api::Request& request, std::string_view client_model, std::size_t max_event_bytes) const {
  return std::make_unique<gemini::GeminiStreamDecoder>(client_model, request.include_usage,
                                                       max_event_bytes);
}

}  // namespace llmux::providers
