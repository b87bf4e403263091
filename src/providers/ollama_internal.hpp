// What the files of the Ollama provider share, and nothing outside them includes: reading one
// Ollama object, a whole answer (ollama_response.cpp) or one line of a stream
// (ollama_stream.cpp).
#pragma once

#include "api/usage.hpp"
#include "base/error.hpp"
#include "providers/ollama.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace llmux::providers::ollama {

// prompt_eval_count and eval_count as OpenAI usage (reported when either is present).
api::Usage usage_of(const boost::json::object& answer);

// done_reason → finish_reason: tool calls win (Ollama still says "stop"), "length" stays, and
// everything else (stop, load, unload, …) is a stop.
std::string_view finish_reason(std::string_view done_reason, bool tool_calls);

// What one Ollama object (a whole answer or one stream line) says.
struct Piece {
  std::string_view content;
  std::string_view thinking;
  const boost::json::array* tool_calls = nullptr;
};

Piece piece_of(const boost::json::object& line, OllamaProvider::Api api);

// Ollama tool calls → OpenAI ones, appended as a JSON array: ids generated where Ollama gave
// none, arguments as a JSON string (copied from `upstream_text`, the bytes `calls` was parsed
// from, so that numbers reach the client exactly: a Boost.JSON 1.81 parse and re-serialisation
// rounds some doubles). Stream deltas number them (`index`) from `first_index`, counting across
// lines; a whole message's calls have no index.
void append_openai_tool_calls(std::string& out, const boost::json::array& calls,
                              std::string_view upstream_text,
                              std::optional<std::size_t> first_index);

Error not_an_object(std::string_view what);

// An Ollama error object ({"error":"…"}) → an Error the client sees, with Ollama's message.
Error error_of(const boost::json::value& error, int status);

}  // namespace llmux::providers::ollama
