// Anthropic's Messages API as clients send it to the gateway (POST /v1/messages and its
// count_tokens): the body's validation, the call as an OpenAI chat completion (what every
// deployment but Anthropic's own is sent), and chat answers and chunks back as Anthropic messages
// and events. docs/DIALECTS.md lists what is translated and what is passed through.
#pragma once

#include "api/usage.hpp"
#include "base/error.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmux::api {

// A Messages (or, `counting`, count_tokens) body as the API takes it: messages of user and
// assistant turns with string or block content, max_tokens (not for counting), and the optional
// fields' types. The errors name the field as Anthropic does ("max_tokens: Field required").
Result<void> validate_messages_body(const boost::json::object& body, bool counting);

// The call as a chat completion: system → a system message; each turn's blocks → OpenAI parts,
// tool_use → tool_calls, tool_result → tool messages (ahead of the turn's other content);
// tools, tool_choice, stop_sequences, metadata.user_id → user, thinking → reasoning_effort (its
// budget in three steps); a stream asks for its usage. Fails (400) on what a non-Anthropic model
// cannot be sent: server tools, files by id, user content blocks without an OpenAI form — or,
// with `left_out`, leaves them out and keeps there the first such refusal (the call can still go
// whole to a deployment that speaks the Messages API). Thinking blocks, cache_control and top_k
// are dropped.
Result<boost::json::object> messages_to_chat(const boost::json::object& body,
                                             std::optional<Error>* left_out = nullptr);

// Tool names longer than OpenAI's 64 characters are shortened for the chat call (a prefix and a
// hash of the whole name); answers name the client's tool again.
std::string chat_tool_name(std::string_view name);
// The client's name of a tool the chat answer names, from the request's tools.
std::string_view client_tool_name(const boost::json::object& body, std::string_view chat_name);

// A chat completion answer → an Anthropic message (content blocks, stop_reason, and `usage` with
// the cached part of the prompt apart). `body` is the client's request.
Result<std::string> chat_answer_to_message(std::string_view chat_answer, const Usage& usage,
                                           const boost::json::object& body);

// OpenAI chat chunks → Anthropic's event stream: message_start (and a ping), one content block
// per run of text, thinking or tool call (content_block_start / _delta / _stop), then
// message_delta with the stop reason and usage, and message_stop.
class MessagesStreamWriter {
 public:
  explicit MessagesStreamWriter(const boost::json::object& body) : body_(body) {}

  // One chunk, parsed. Chunks after the end are ignored.
  void chunk(const boost::json::object& chunk, std::string& out);
  // The chat stream ended (its [DONE], or its close after a finish reason): the events that end
  // the message, with the call's usage.
  void finish(const Usage& usage, std::string& out);
  bool finished() const { return finished_; }

 private:
  enum class Block { none, text, thinking, tool };
  void start(const boost::json::object& chunk, std::string& out);
  void open(Block block, std::string& out, std::string_view start_json);
  void close(std::string& out);
  void delta(std::string& out, std::string_view type, std::string_view field,
             std::string_view text);

  const boost::json::object& body_;
  bool started_ = false;
  bool finished_ = false;
  Block block_ = Block::none;
  int index_ = -1;          // the open block's index (blocks count from 0)
  std::int64_t tool_ = -1;  // the chat index of the tool call in the open block
  std::string stop_reason_ = "end_turn";
};

// `{"input_tokens": N}` for a count_tokens call no upstream counts: the chat form's prompt
// estimated (api/token_estimate).
Result<std::string> estimated_token_count(const boost::json::object& body);

// Errors as Anthropic answers them: {"type":"error","error":{"type","message"}}, the type for
// the status (an overloaded upstream is 529 overloaded_error again). Mid-stream, the same body
// as an `event: error`.
int messages_error_status(const Error& error);
std::string messages_error_body(const Error& error);
std::string messages_stream_error(const Error& error);

}  // namespace llmux::api
