// Helpers shared by the provider tests: recorded fixtures and parsed requests.
#pragma once

#include "api/request.hpp"
#include "providers/provider.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::providers::test_support {

// The largest upstream stream event the tests' decoders take (general_settings' default).
constexpr std::size_t kMaxEventBytes = 16 << 20;

// A file under tests/fixtures/wire/, e.g. "openai/chat_completion.json"; throws if missing.
inline std::string read_wire_fixture(const std::string& relative) {
  const auto path = std::filesystem::path(LLMUX_FIXTURES_DIR) / "wire" / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// parse_request that must succeed: tests build requests from bodies they know are valid.
inline api::Request parsed_request(api::Endpoint endpoint, std::string_view body) {
  auto result = api::parse_request(endpoint, body);
  if (!result) throw std::runtime_error("test body rejected: " + result.error().message);
  return std::move(*result);
}

// A streaming /v1/chat/completions request for model "m", asking for the usage chunk or not.
inline api::Request streaming_chat_request(bool include_usage) {
  return parsed_request(
      api::Endpoint::chat_completions,
      std::string(R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"stream":true)") +
          (include_usage ? R"(,"stream_options":{"include_usage":true}})" : "}"));
}

// The data of every frame in `out`, checking the framing: only "data: <one line>\n\n".
inline std::vector<std::string> frames(std::string_view out) {
  std::vector<std::string> data;
  while (!out.empty()) {
    const auto end = out.find("\n\n");
    EXPECT_NE(end, std::string_view::npos) << "unterminated frame: " << out;
    if (end == std::string_view::npos) break;
    const std::string_view frame = out.substr(0, end);
    EXPECT_TRUE(frame.starts_with("data: ")) << frame;
    EXPECT_EQ(frame.find('\n'), std::string_view::npos) << frame;
    data.emplace_back(frame.substr(6));
    out.remove_prefix(end + 2);
  }
  return data;
}

// What a stream decoder made of upstream bytes fed in `pieces`, then finished.
struct StreamRun {
  std::string out;
  std::optional<Error> feed_error;  // the first feed that failed (feeding stops there)
  std::optional<Error> finish_error;
  std::optional<Error> error;  // whichever of the two happened
  bool done_before_finish = false;
  bool done = false;
  api::Usage usage;
};

inline StreamRun run_stream(const Provider& provider, const api::Request& request,
                            const std::vector<std::string_view>& pieces,
                            std::string_view client_model,
                            std::size_t max_event_bytes = kMaxEventBytes) {
  StreamRun result;
  auto decoder = provider.make_stream_decoder(request, client_model, max_event_bytes);
  for (std::string_view piece : pieces) {
    if (auto fed = decoder->feed(piece, result.out); !fed) {
      result.feed_error = result.error = fed.error();
      return result;
    }
  }
  result.done_before_finish = decoder->done();
  if (auto finished = decoder->finish(result.out); !finished)
    result.finish_error = result.error = finished.error();
  result.done = decoder->done();
  result.usage = decoder->usage();
  return result;
}

}  // namespace llmux::providers::test_support
