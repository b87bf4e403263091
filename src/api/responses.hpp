// OpenAI's Responses API as clients send it to the gateway (POST /v1/responses): the body's
// validation, the call as a chat completion (what every deployment but OpenAI's and Azure's is
// sent) or as those are sent it, and chat answers and chunks back as a response object and its
// typed events. docs/DIALECTS.md lists what is translated and what is passed through.
#pragma once

#include "api/usage.hpp"
#include "base/error.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::api {

// `input` (a string, or a list of message, function_call, function_call_output, reasoning
// items), instructions, tools, tool_choice, text, reasoning and the other fields' types.
Result<void> validate_responses_body(const boost::json::object& body);

// The call's input as a list of items (a string is one user message).
boost::json::array input_items(const boost::json::object& body);

// The call as a chat completion: instructions → a system message, input items → messages
// (consecutive function calls as one assistant turn, function_call_output → tool messages),
// function tools, tool_choice, max_output_tokens, text.format → response_format,
// reasoning.effort → reasoning_effort; a stream asks for its usage. Fails (400) on what a chat
// completion cannot carry: built-in tools, item references, files by id — or, with `left_out`,
// leaves them out and keeps there the first such refusal (the call can still go whole to a
// deployment that speaks the Responses API).
Result<boost::json::object> responses_to_chat(const boost::json::object& body,
                                              std::optional<Error>* left_out = nullptr);

// The call as a deployment that speaks the Responses API is sent it (the gateway keeps the
// conversation): `store: false`, no `previous_response_id` (its conversation is in `input`
// already: its first `restored_items` items), and those items without their ids and statuses,
// reasoning items without encrypted_content left out (nothing upstream could resolve them).
boost::json::object responses_pass_through_body(const boost::json::object& body,
                                                std::size_t restored_items);

// A response object's text (a passed-through call's) with its `store` and `previous_response_id`
// set to what the client's call says (JSON text: the deployment was sent `store: false` and no
// previous_response_id), every other byte as the deployment wrote it; a member it lacks stays
// absent.
std::string with_client_settings(std::string_view response, std::string_view store,
                                 std::string_view previous_response_id);

// A chat completion answer → a response object: reasoning, message and function_call output
// items, status (incomplete with its reason for a length or content-filter finish), usage, and
// the request's settings echoed. `id`: the response's ("resp_…").
Result<std::string> chat_answer_to_response(std::string_view chat_answer, const Usage& usage,
                                            const boost::json::object& body, std::string_view id);

// OpenAI chat chunks → the Responses event stream: response.created and .in_progress, then per
// output item (reasoning summary, message, function call) its added / delta / done events, and
// response.completed (or .incomplete) with the whole response. Every event is numbered.
class ResponsesStreamWriter {
 public:
  ResponsesStreamWriter(const boost::json::object& body, std::string id);

  void chunk(const boost::json::object& chunk, std::string& out);
  void finish(const Usage& usage, std::string& out);
  bool finished() const { return finished_; }
  // The whole response the last event carried, once finished.
  const std::string& final_response() const { return final_response_; }
  // The sequence number of the next event (an in-band error's).
  std::int64_t next_sequence() const { return sequence_; }

 private:
  struct Item {
    enum class Kind { reasoning, message, function_call } kind;
    std::string id;
    std::string text;  // reasoning summary, message text, or function-call arguments
    std::string call_id;
    std::string name;
    boost::json::object done;  // its final form, once closed
  };

  void start(const boost::json::object& chunk, std::string& out);
  Item& open(Item::Kind kind, std::string& out, std::string call_id = {}, std::string name = {});
  void close(std::string& out);
  void event(std::string& out, std::string_view type, boost::json::object fields);
  // An event carrying the whole response, serialized once.
  void response_event(std::string& out, std::string_view type, std::string_view response_json);
  // A delta of the last item, written in place (the stream's most frequent event); `index`: the
  // name of its part index ("content_index", "summary_index"), if it has one.
  void delta(std::string& out, std::string_view type, std::string_view index,
             std::string_view text);
  boost::json::object item_fields(const Item& item, bool done) const;

  const boost::json::object& body_;
  std::string id_;
  std::int64_t created_at_ = 0;
  std::string model_;
  std::int64_t sequence_ = 0;
  std::vector<Item> items_;
  bool open_ = false;       // the last item is still streaming
  std::int64_t tool_ = -1;  // the chat index of the tool call being streamed
  std::string finish_reason_;
  bool started_ = false;
  bool finished_ = false;
  std::string final_response_;
};

// A stream's in-band error: an `error` event numbered after the last event the client has.
std::string responses_stream_error(const Error& error, std::int64_t sequence_number);

}  // namespace llmux::api
