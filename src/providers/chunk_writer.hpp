// The OpenAI chat.completion.chunk frames of a stream translated from another dialect (or the
// text_completion ones of a streamed legacy completion). Every chunk of one answer repeats the
// same id, object, created and model, so that text is built once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace llmux::providers {

class ChunkWriter {
 public:
  ChunkWriter(std::string_view id, std::int64_t created, std::string_view client_model,
              std::string_view object = "chat.completion.chunk");

  // `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[` — the
  // caller writes the choices and closes the chunk.
  void begin(std::string& out) const;

  // One chat chunk of choice 0 whose delta is `delta` (a JSON object's text); finish_reason null
  // when `finish_reason` is empty.
  void write(std::string& out, std::string_view delta, std::string_view finish_reason = {}) const;

  // The chunks every translated stream sends: a piece of the answer's text, and a piece of the
  // arguments of tool call `index` (its id and name went in an earlier chunk).
  void write_content(std::string& out, std::string_view text) const;
  void write_tool_arguments(std::string& out, std::int64_t index, std::string_view arguments) const;

  // A chunk in two steps, for a delta written in place: open(), the delta, close().
  void open(std::string& out) const;
  static void close(std::string& out, std::string_view finish_reason = {});

  // The usage chunk a client asked for with stream_options.include_usage: no choices, `usage`
  // (a JSON object's text).
  void write_usage(std::string& out, std::string_view usage) const;

 private:
  std::string head_;  // every chunk's text up to its choices
};

}  // namespace llmux::providers
