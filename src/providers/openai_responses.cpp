#include "providers/openai_responses.hpp"

#include "providers/json_fields.hpp"
#include "providers/sse_stream_decoder.hpp"

#include "api/usage.hpp"

#include <optional>

namespace llmux::providers {

namespace json = boost::json;

namespace {

// A response's usage ({input_tokens, input_tokens_details.cached_tokens, output_tokens,
// total_tokens}) in the gateway's terms.
api::Usage responses_usage(const json::object& response) {
  const auto* usage = object_at(response, "usage");
  if (!usage) return {};
  api::Usage counted{.prompt_tokens = api::count_at(*usage, "input_tokens"),
                     .completion_tokens = api::count_at(*usage, "output_tokens"),
                     .total_tokens = api::count_at(*usage, "total_tokens"),
                     .reported = true};
  if (const auto* details = object_at(*usage, "input_tokens_details"))
    counted.cached_tokens = api::count_at(*details, "cached_tokens");
  if (counted.total_tokens == 0)
    counted.total_tokens = counted.prompt_tokens + counted.completion_tokens;
  return counted;
}

// An error the Responses API reports with a 200 (`{"code", "message", "param"}`: an `error`
// event, or a failed response's `error`), with the status its code stands for.
Error responses_error(const json::object& error) {
  const auto code = string_at(error, "code");
  const int status = code == "rate_limit_exceeded"                                ? 429
                     : code.starts_with("invalid_") || code.starts_with("image_") ? 400
                                                                                  : 500;
  Error failure{.kind = kind_from_status(status), .status = status};
  failure.message = string_at(error, "message");
  if (failure.message.empty()) failure.message = "The upstream reported a failed response.";
  failure.code = code;
  failure.param = string_at(error, "param");
  return failure;
}

class ResponsesStreamDecoder final : public SseStreamDecoder {
 public:
  explicit ResponsesStreamDecoder(std::size_t max_event_bytes)
      : SseStreamDecoder(max_event_bytes) {}

  const api::Usage& usage() const override { return usage_; }

 private:
  Result<void> on_event(const wire::SseEventView& event, std::string& out) override {
    if (event.data.empty()) return {};
    // The event line names the type (OpenAI always sends one): only the events that end the
    // stream are parsed, never the deltas.
    std::string_view type = event.event;
    std::optional<ParsedJson> parsed;
    const json::object* data = nullptr;
    const auto parse = [&]() -> Result<void> {
      parsed.emplace(event.data);
      data = parsed->object();
      if (!parsed->ok() || !data)
        return upstream_failure("The upstream stream sent an event that is not a JSON object.");
      return {};
    };
    if (type.empty()) {
      if (auto parsed_ok = parse(); !parsed_ok) return parsed_ok;
      type = string_at(*data, "type");
    }
    const bool terminal = type == "response.completed" || type == "response.incomplete";
    if (type == "error" || type == "response.failed" || terminal) {
      if (!data) {
        if (auto parsed_ok = parse(); !parsed_ok) return parsed_ok;
      }
      if (type == "error") return responses_error(*data);
      const auto* response = object_at(*data, "response");
      if (type == "response.failed") {
        const auto* error = response ? object_at(*response, "error") : nullptr;
        return responses_error(error ? *error : json::object());
      }
      if (response) usage_ = responses_usage(*response);
    }
    if (type == "response.created" || type == "response.in_progress") {
      append_event(held_, type, event.data);
      return {};
    }
    out += held_;
    held_.clear();
    append_event(out, type, event.data);
    if (terminal) mark_done();
    return {};
  }

  static void append_event(std::string& out, std::string_view type, std::string_view data) {
    out += "event: ";
    out += type;
    out += '\n';
    wire::append_data_event(out, data);
  }

  api::Usage usage_;
  std::string held_;  // response.created and .in_progress, until the next event
};

}  // namespace

Result<Reply> decode_responses_answer(std::string_view body) {
  const ParsedJson parsed(body);
  const auto* response = parsed.object();
  if (!parsed.ok() || !response)
    return upstream_failure("The upstream answered with a body that is not a JSON object.");
  if (string_at(*response, "status") == "failed") {
    const auto* error = object_at(*response, "error");
    return responses_error(error ? *error : json::object());
  }
  return Reply{.body = std::string(body), .usage = responses_usage(*response)};
}

std::unique_ptr<StreamDecoder> make_responses_stream_decoder(std::size_t max_event_bytes) {
  return std::make_unique<ResponsesStreamDecoder>(max_event_bytes);
}

}  // namespace llmux::providers
