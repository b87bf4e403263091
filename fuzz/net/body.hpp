// A message body decoded as the server and the upstream client decode it, for the http1 targets.
#pragma once

#include "net/http1.hpp"
#include "support.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::fuzz {

struct DecodedBody {
  bool malformed = false;  // then nothing else is set
  bool complete = false;   // the framing's end was seen (or the close ends an until-close body)
  std::string bytes;
  bool operator==(const DecodedBody&) const = default;
};

// Feeds `pieces` to a decoder as the readers do: what it did not consume stays buffered and the
// next piece is appended to it; the input ends with the peer's close.
inline DecodedBody decode_body(net::http1::BodyFraming framing, std::uint64_t length,
                               const std::vector<std::string_view>& pieces) {
  net::http1::BodyDecoder decoder(framing, length);
  DecodedBody body;
  std::string pending;
  for (const std::string_view piece : pieces) {
    pending.append(piece);
    const auto step = decoder.decode(pending.data(), pending.size());
    if (!step) {
      return {.malformed = true};  // what came before is thrown away with the request
    }
    check(step->produced <= step->consumed && step->consumed <= pending.size(),
          "a decode step used more bytes than it had");
    body.bytes.append(pending, 0, step->produced);
    pending.erase(0, step->consumed);
    if (decoder.done()) break;
  }
  body.complete = decoder.finish_at_close();
  return body;
}

}  // namespace llmux::fuzz
