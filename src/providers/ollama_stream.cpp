#include "providers/ollama.hpp"

#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "providers/chunk_writer.hpp"
#include "providers/json_fields.hpp"
#include "providers/ollama_internal.hpp"
#include "providers/wire/ndjson.hpp"

#include <optional>

namespace llmux::providers {

namespace json = boost::json;

namespace ollama {
namespace {

class OllamaStreamDecoder final : public StreamDecoder {
 public:
  OllamaStreamDecoder(OllamaProvider::Api api, bool text_completion, bool include_usage,
                      std::string_view client_model, std::size_t max_line_bytes)
      : api_(api),
        text_completion_(text_completion),
        include_usage_(include_usage),
        id_(make_object_id(text_completion ? "cmpl-" : "chatcmpl-")),
        client_model_(client_model),
        splitter_(max_line_bytes) {}

  Result<void> feed(std::string_view bytes, std::string& out) override {
    if (failure_) return *failure_;
    const bool fed =
        splitter_.feed(bytes, [&](std::string_view line) { return on_line(line, out); });
    if (failure_) return *failure_;
    if (!fed && splitter_.failed()) {
      failure_ = make_error(ErrorKind::upstream_failed,
                            "The upstream stream sent a line larger than the limit.");
      return *failure_;
    }
    return {};
  }

  Result<void> finish(std::string& out) override {
    if (failure_) return *failure_;
    if (const std::string last = splitter_.finish(); !last.empty() && !done_) {
      on_line(last, out);
      if (failure_) return *failure_;
    }
    if (done_) return {};
    return make_error(ErrorKind::upstream_failed,
                      "The upstream closed the stream before it was complete.");
  }

  bool done() const override { return done_; }
  const api::Usage& usage() const override { return usage_; }

 private:
  // One NDJSON line; false stops the splitter (the stream ended or failed).
  bool on_line(std::string_view line, std::string& out) {
    if (done_) return false;  // anything after the final line is not the answer's
    const ParsedJson parsed(line);
    if (!parsed.object()) {
      failure_ = not_an_object("a stream line");
      return false;
    }
    const auto& object = *parsed.object();
    if (const auto* error = object.if_contains("error"); error && !error->is_null()) {
      failure_ = error_of(*error, 0);  // mid-stream: the HTTP status was already 200
      return false;
    }
    if (!created_) created_ = unix_seconds_from_rfc3339(string_at(object, "created_at"));
    const Piece piece = piece_of(object, api_);
    if (!started_ || !piece.content.empty() || !piece.thinking.empty() || piece.tool_calls)
      append_delta(out, piece, line);
    const auto* done = object.if_contains("done");
    if (done && done->is_bool() && done->get_bool()) {
      usage_ = usage_of(object);
      append_finish(out, finish_reason(string_at(object, "done_reason"), tool_calls_ > 0));
      done_ = true;
      return false;
    }
    return true;
  }

  // The chunk writer, made at the first chunk: the upstream's first line gave the time.
  const ChunkWriter& chunks() {
    if (!chunks_) {
      chunks_.emplace(id_, created_.value_or(0), client_model_,
                      text_completion_ ? "text_completion" : "chat.completion.chunk");
    }
    return *chunks_;
  }

  void append_delta(std::string& out, const Piece& piece, std::string_view line) {
    if (text_completion_) {
      if (piece.content.empty()) return;
      chunks().begin(out);
      out += R"({"index":0,"text":)";
      append_json_string(out, piece.content);
      out += R"(,"logprobs":null,"finish_reason":null}]})"
             "\n\n";
      return;
    }
    chunks().begin(out);
    out += R"({"index":0,"delta":{)";
    bool first = true;
    auto member = [&](std::string_view key) {
      if (!first) out += ',';
      first = false;
      out += key;
    };
    if (!started_) member(R"("role":"assistant")");
    if (!piece.content.empty() || !started_) {
      member(R"("content":)");
      append_json_string(out, piece.content);
    }
    if (!piece.thinking.empty()) {
      member(R"("reasoning_content":)");
      append_json_string(out, piece.thinking);
    }
    if (piece.tool_calls) {
      member(R"("tool_calls":)");
      append_openai_tool_calls(out, *piece.tool_calls, line, tool_calls_);
      tool_calls_ += piece.tool_calls->size();
    }
    out += R"(},"finish_reason":null}]})"
           "\n\n";
    started_ = true;
  }

  void append_finish(std::string& out, std::string_view reason) {
    chunks().begin(out);
    out += text_completion_ ? R"({"index":0,"text":"","logprobs":null,"finish_reason":")"
                            : R"({"index":0,"delta":{},"finish_reason":")";
    out += reason;
    out += R"("}]})"
           "\n\n";
    if (include_usage_) {
      std::string usage;
      append_token_counts(usage, usage_);
      chunks().write_usage(out, usage);
    }
    out += "data: [DONE]\n\n";
  }

  OllamaProvider::Api api_;
  bool text_completion_;
  bool include_usage_;
  std::string id_;
  std::string client_model_;
  std::optional<ChunkWriter> chunks_;
  wire::NdjsonSplitter splitter_;
  std::optional<std::int64_t> created_;
  std::optional<Error> failure_;
  api::Usage usage_;
  std::size_t tool_calls_ = 0;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace
}  // namespace ollama

std::unique_ptr<StreamDecoder> OllamaProvider::make_stream_decoder(
    const api::Request& request, std::string_view client_model, std::size_t max_event_bytes) const {
  const bool text_completion = request.endpoint == api::Endpoint::completions;
  return std::make_unique<ollama::OllamaStreamDecoder>(text_completion ? Api::generate : api_,
                                                       text_completion, request.include_usage,
                                                       client_model, max_event_bytes);
}

}  // namespace llmux::providers
