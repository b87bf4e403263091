// Every dialect's stream decoder (Provider::make_stream_decoder) fed an upstream stream in pieces,
// for the streamed requests (chat with and without usage, completions). Checks: what the client
// receives is "data: <JSON object>\n\n" frames (or "data: [DONE]"), whatever the upstream sent.
#include "dialects.hpp"
#include "support.hpp"

#include <string>

namespace {

using llmux::fuzz::check;

const std::vector<const llmux::providers::Provider*> kDialects = llmux::fuzz::dialects();
const std::vector<llmux::api::Request> kRequests = llmux::fuzz::stream_requests();

void check_frames(std::string_view out) {
  while (!out.empty()) {
    check(out.starts_with("data: "), "a frame that is not a data line");
    const auto end = out.find("\n\n");
    check(end != std::string_view::npos, "an unterminated frame");
    const std::string_view data = out.substr(6, end - 6);
    check(data == "[DONE]" || llmux::fuzz::is_json_object(data), "a frame that is not JSON");
    out.remove_prefix(end + 2);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  const auto pieces = llmux::fuzz::pieces(input);
  for (const llmux::providers::Provider* provider : kDialects) {
    for (const llmux::api::Request& request : kRequests) {
      auto decoder = provider->make_stream_decoder(request, "client-model", 1 << 16);
      std::string out;
      bool failed = false;
      for (const std::string_view piece : pieces) {
        if (!decoder->feed(piece, out)) {
          failed = true;
          break;
        }
      }
      if (!failed) (void)decoder->finish(out);
      check_frames(out);
    }
  }
  return 0;
}
