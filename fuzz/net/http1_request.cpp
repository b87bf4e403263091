// A request as the listener reads it (server/listener.cpp): the head up to its blank line, parsed
// in place, then a chunked or length-delimited body decoded as its bytes arrive. Checks: every
// view lies in the head, the framing is one a request may have, and a body decodes to the same
// bytes (or fails the same way) whether it arrives whole or in pieces.
#include "body.hpp"
#include "net/http1.hpp"
#include "support.hpp"

#include <string>

using namespace llmux::net::http1;
using llmux::fuzz::check;
using llmux::fuzz::decode_body;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  const std::size_t head_end = find_head_end(input);
  if (head_end == std::string_view::npos) return 0;
  const std::string head_bytes(input.substr(0, head_end));
  RequestHead head;
  if (!parse_request_head(head_bytes, head).empty()) return 0;

  check(llmux::fuzz::lies_within(head.method, head_bytes) && !head.method.empty(), "method view");
  check(llmux::fuzz::lies_within(head.target, head_bytes) && !head.target.empty(), "target view");
  for (const auto& [name, value] : head.fields) {
    check(llmux::fuzz::lies_within(name, head_bytes) && !name.empty(), "field name view");
    check(llmux::fuzz::lies_within(value, head_bytes), "field value view");
    check(value.find_first_of("\r\n") == std::string_view::npos, "a field value holds CR or LF");
  }
  check(head.framing != BodyFraming::until_close, "a request body delimited by the close");
  check(head.minor_version == 0 || head.minor_version == 1, "HTTP version");

  if (head.framing == BodyFraming::none) return 0;
  const std::string_view rest = input.substr(head_end);
  const auto whole = decode_body(head.framing, head.content_length, {rest});
  const auto split = decode_body(head.framing, head.content_length, llmux::fuzz::pieces(rest));
  check(whole == split, "a body decodes differently when it arrives in pieces");
  if (head.framing == BodyFraming::length && whole.complete)
    check(whole.bytes.size() == head.content_length, "a length body of another length");
  return 0;
}
