// Reading an OpenAI chat completion (a whole answer or a stream chunk) to translate it into
// another dialect: Anthropic's Messages (anthropic_messages_answer.cpp) and OpenAI's Responses
// (responses_answer.cpp), the fields of a client's request body (a field of the wrong type reads
// as absent), and what a request's chat form leaves out.
#pragma once

#include "base/error.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string_view>

namespace llmux::api {

// The value of `key` if it is a string, else "".
std::string_view string_of(const boost::json::object& object, std::string_view key);
// The value of `key` if it is an object, else nullptr.
const boost::json::object* object_of(const boost::json::object& object, std::string_view key);
// choices[0] of an answer or a chunk if it is an object, else nullptr (e.g. a usage-only chunk).
const boost::json::object* first_choice(const boost::json::object& completion);
// The completion's model, else the request's: an upstream may leave it out.
std::string_view model_of(const boost::json::object& completion,
                          const boost::json::object& request_body);

// Where what an ingress dialect's chat form cannot carry goes: without `left_out` the
// translation fails with it; with it, the part is skipped and the first such refusal kept there
// (the call can still go whole to a deployment that speaks the dialect).
Result<void> leave_out(Error refusal, std::optional<Error>* left_out);

// A whole chat answer, parsed to be read once: on a stack arena (a larger answer grows it on the
// heap). Neither copied nor moved: what it returns lives in its arena.
class ChatAnswerReading {
 public:
  explicit ChatAnswerReading(std::string_view chat_answer);
  ChatAnswerReading(const ChatAnswerReading&) = delete;
  ChatAnswerReading& operator=(const ChatAnswerReading&) = delete;

  // The answer's first choice; an error (upstream_failed) when the answer is not a JSON object
  // with one to translate.
  Result<const boost::json::object*> choice() const;
  const boost::json::object& answer() const;   // call once choice() succeeded
  const boost::json::object& message() const;  // the choice's message, or an empty object

 private:
  unsigned char buffer_[8192];
  boost::json::monotonic_resource arena_;
  boost::json::value parsed_;
};

}  // namespace llmux::api
