// Streams and whole answers, one into the other, so that one cache entry serves both kinds of
// request: a streamed answer is assembled into the whole answer it stands for before it is stored,
// and a stored whole answer is replayed as the frames of a stream (OpenAI's chunks: the message,
// the finish_reason, the usage chunk when asked, [DONE]). Chat completions and legacy completions.
#pragma once

#include "api/usage.hpp"
#include "base/error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <string>
#include <string_view>

namespace llmux::cache {

// The SSE frames of a stream that carries `answer` (a chat.completion or text_completion object).
// An error for any other answer.
Result<std::string> stream_frames(std::string_view answer, bool include_usage);

// Collects the chunks of a relayed stream (as the relay writes them: whole SSE events) into the
// whole answer they make.
class StreamAssembler {
 public:
  void feed(std::string_view frames);
  // The assembled answer; `counted` stands in for the usage when the stream carried none. An
  // error when there is nothing a later request could be answered with: no chunk, an error
  // event, a chunk that is not JSON, or log probabilities (not kept by the assembly).
  Result<std::string> finish(const api::Usage& counted) const;

 private:
  struct ToolCall {
    std::string id, type, name, arguments;
  };
  struct Choice {
    std::string role, content, reasoning, refusal, text, finish_reason;
    bool has_content = false, has_reasoning = false, has_refusal = false;
    std::map<std::int64_t, ToolCall> tool_calls;
  };
  void read_event(std::string_view data);
  void read_chunk(const boost::json::object& chunk);

  std::string pending_;       // an event not yet complete
  boost::json::object head_;  // id, created, model, system_fingerprint of the first chunk
  bool text_completion_ = false;
  std::map<std::int64_t, Choice> choices_;
  boost::json::value usage_;  // the usage chunk's; null until one came
  bool unusable_ = false;
};

}  // namespace llmux::cache
