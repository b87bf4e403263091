// Streams and whole answers, one into the other, so that one cache entry serves both kinds of
// request: a streamed answer is assembled into the whole answer it stands for before it is stored,
// and a stored whole answer is replayed as the frames of a stream (OpenAI's chunks: the message,
// the finish_reason, the usage chunk when asked, [DONE]). Chat completions and legacy completions.
#pragma once

#include "api/json_scan.hpp"
#include "api/usage.hpp"
#include "base/error.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace llmux::cache {

// The SSE frames of a stream that carries `answer` (a chat.completion or text_completion object).
// An error for any other answer.
Result<std::string> stream_frames(std::string_view answer, bool include_usage);

// Collects the chunks of a relayed stream (as the relay writes them: whole SSE events) into the
// whole answer they make. The chunks are read with the gateway's JSON scanner, not parsed into
// documents, and their strings are kept as JSON text (escapes and all): pieces of a string
// joined are the JSON text of the joined string, so nothing is decoded or encoded again.
class StreamAssembler {
 public:
  void feed(std::string_view frames);
  // The assembled answer; `counted` stands in for the usage when the stream carried none. An
  // error when there is nothing a later request could be answered with: no chunk, an error
  // event, a chunk that is not JSON, or log probabilities (not kept by the assembly).
  Result<std::string> finish(const api::Usage& counted) const;

 private:
  // Each string below is the JSON text between a string's quotes; `raw` values are whole JSON
  // values as the chunk had them.
  struct ToolCall {
    std::string id, type, name, arguments;
  };
  struct Choice {
    std::string role, content, reasoning, refusal, text, finish_reason;
    bool has_content = false, has_reasoning = false, has_refusal = false;
    std::map<std::int64_t, ToolCall> tool_calls;
  };
  void read_frame(std::string_view event);
  void read_chunk(std::string_view chunk);
  void read_choice(std::string_view choice);

  std::string pending_;  // an event not yet complete
  api::ChunkScanner scanner_;
  bool head_read_ = false;
  // The raw id, created, model and system_fingerprint of the first chunk (empty: absent).
  std::string id_, created_, model_, system_fingerprint_;
  bool text_completion_ = false;
  std::map<std::int64_t, Choice> choices_;
  std::string usage_;  // the usage chunk's raw object; empty until one came
  bool unusable_ = false;
};

}  // namespace llmux::cache
