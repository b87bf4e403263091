// The dialect a model call's client speaks: how its parsed request becomes the call the relay
// sends, and how the relay's answers (OpenAI chat completions and chunks) and errors go back to
// it. The base is OpenAI's own: the request as parsed, answers as the relay writes them.
// Anthropic's Messages API is passed through to the deployments that speak it (Anthropic, Claude
// on Bedrock's InvokeModel and on Vertex AI) and sent to every other as a chat completion; OpenAI's
// Responses API is sent to every deployment as a chat completion; translated answers are translated
// back (api/anthropic_messages, api/responses). The Responses API's dialect also keeps its
// responses (handlers/stored_responses) and continues from them.
#pragma once

#include "api/anthropic_messages.hpp"
#include "api/request.hpp"
#include "api/responses.hpp"
#include "api/usage.hpp"
#include "auth/authenticator.hpp"
#include "base/error.hpp"
#include "handlers/stored_responses.hpp"
#include "providers/wire/sse.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmux::handlers {

namespace asio = boost::asio;

class Dialect {
 public:
  virtual ~Dialect() = default;

  // A dialect whose calls build on earlier ones (the Responses API's stored responses). Only for
  // those does the call handler restore() before translate(), and the sink keep_state() when
  // has_state_to_keep(), before the answer (or the stream's final event) leaves: a client that
  // has its answer finds it stored.
  bool stateful() const { return stateful_; }
  virtual asio::awaitable<Result<void>> restore(api::Request& /*client*/,
                                                const auth::Caller& /*caller*/) {
    co_return Result<void>{};
  }
  virtual bool has_state_to_keep() const { return false; }
  virtual asio::awaitable<void> keep_state() { co_return; }

  // The client's parsed request → the request the relay sends. `client` stays alive (and
  // unchanged) for the whole call: the answers are written against it.
  virtual Result<api::Request> translate(api::Request& client) { return std::move(client); }
  // A whole answer, from the chat completion's bytes and its usage. `native`: the answer is in the
  // client's dialect already, from a deployment that speaks it (relay::Outcome::native).
  virtual Result<std::string> answer(std::string chat_answer, const api::Usage&, bool /*native*/) {
    return chat_answer;
  }
  // A stream's frames (OpenAI chunks as SSE events, or the dialect's own when `native`) → the
  // client's frames: a view of `frames` or of the dialect's own buffer, valid until the next
  // call. `last`: the relay's stream has ended.
  virtual std::string_view frames(std::string_view chat_frames, bool /*last*/, bool /*native*/) {
    return chat_frames;
  }
  // The event that ends a started stream with an error.
  virtual std::string stream_error(const Error& error);
  // An error answered before anything was sent.
  virtual int error_status(const Error& error) { return http_status(error); }
  virtual std::string error_body(const Error& error);

 protected:
  bool stateful_ = false;
};

// Reads a chat stream's SSE frames, hands each chunk (parsed) to a dialect's stream writer, and
// ends the writer's stream at [DONE] or the relay's end, with the usage of the stream's last
// chunk. Writer: chunk(const json::object&, std::string&), finish(const api::Usage&,
// std::string&), finished().
template <class Writer>
class ChunkTranslator final : providers::wire::SseEventSink {
 public:
  explicit ChunkTranslator(Writer& writer) : writer_(writer) {}
  std::string_view frames(std::string_view chat_frames, bool last);

 private:
  void dispatch(const providers::wire::SseEventView& event) override;

  Writer& writer_;
  providers::wire::SseParser parser_;
  api::Usage usage_;
  std::string out_;
};

// Anthropic's Messages API. A deployment that speaks it is sent the client's call as it is, with
// the client's anthropic-beta (and, where the API takes it, anthropic-version) header, and its
// answer passed back; any other is sent it as a chat completion, the answer translated back.
class MessagesDialect final : public Dialect {
 public:
  // `headers`: the client's headers an Anthropic deployment takes (empty values: not sent).
  explicit MessagesDialect(std::vector<std::pair<std::string, std::string>> headers);

  Result<api::Request> translate(api::Request& client) override;
  Result<std::string> answer(std::string chat_answer, const api::Usage& usage,
                             bool native) override;
  std::string_view frames(std::string_view chat_frames, bool last, bool native) override;
  std::string stream_error(const Error& error) override;
  int error_status(const Error& error) override { return api::messages_error_status(error); }
  std::string error_body(const Error& error) override { return api::messages_error_body(error); }

 private:
  std::vector<std::pair<std::string, std::string>> headers_;
  const boost::json::object* body_ = nullptr;  // the client's
  std::optional<api::MessagesStreamWriter> writer_;
  std::optional<ChunkTranslator<api::MessagesStreamWriter>> chunks_;
};

class ResponsesDialect final : public Dialect {
 public:
  explicit ResponsesDialect(StoredResponses& stored);

  // previous_response_id: that response's conversation and output go ahead of the input.
  asio::awaitable<Result<void>> restore(api::Request& client, const auth::Caller& caller) override;
  bool has_state_to_keep() const override { return to_keep_.has_value(); }
  asio::awaitable<void> keep_state() override;

  Result<api::Request> translate(api::Request& client) override;
  Result<std::string> answer(std::string chat_answer, const api::Usage& usage,
                             bool native) override;
  std::string_view frames(std::string_view chat_frames, bool last, bool native) override;
  std::string stream_error(const Error& error) override;

 private:
  StoredResponses& stored_;
  std::string id_;     // the response's
  std::string owner_;  // the caller's key, whose response it is
  bool store_ = false;
  bool restored_ = false;
  std::optional<std::string> to_keep_;  // the response, once whole, until it is stored
  const boost::json::object* body_ = nullptr;
  std::optional<api::ResponsesStreamWriter> writer_;
  std::optional<ChunkTranslator<api::ResponsesStreamWriter>> chunks_;
};

}  // namespace llmux::handlers
