// An upstream's answer as upstream::Client reads it: the head (status, framing, retry-after),
// then the body by that framing, whole or in pieces. Checks: a parsed status is a status, the
// framing agrees with it, and a body decodes the same way whatever its pieces.
#include "body.hpp"
#include "net/http1.hpp"
#include "support.hpp"

#include <string>

using namespace llmux::net::http1;
using llmux::fuzz::check;
using llmux::fuzz::decode_body;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  ResponseHead head;
  std::size_t head_bytes = 0;
  if (parse_response_head(input, head, head_bytes) != ParseResult::done) return 0;
  check(head_bytes <= input.size() && head_bytes == find_head_end(input), "head length");
  check(head.status >= 100 && head.status <= 999, "status out of range");
  if (head.status < 200 || head.status == 204 || head.status == 304)
    check(head.framing == BodyFraming::none, "a body on a status that has none");
  if (head.framing == BodyFraming::until_close) check(!head.keep_alive, "kept alive to the close");

  const std::string_view rest = input.substr(head_bytes);
  const auto whole = decode_body(head.framing, head.content_length, {rest});
  const auto split = decode_body(head.framing, head.content_length, llmux::fuzz::pieces(rest));
  check(whole == split, "a body decodes differently when it arrives in pieces");
  return 0;
}
