// The SSE parser (providers/wire/sse) every SSE upstream's stream goes through. Checks: the events
// do not depend on where the stream was cut into reads; an event size limit that a cut stream
// stays within holds for the whole stream too; and what append_data_event frames reads back as
// the same data.
#include "providers/wire/sse.hpp"
#include "support.hpp"

#include <string>
#include <vector>

namespace {

namespace wire = llmux::providers::wire;
using llmux::fuzz::check;

struct Parsed {
  bool ok = true;
  std::vector<wire::SseEvent> events;
};

Parsed parse(const std::vector<std::string_view>& pieces, std::size_t max_event_bytes) {
  wire::SseParser parser(max_event_bytes);
  Parsed parsed;
  for (const std::string_view piece : pieces) {
    if (!parser.feed(piece, parsed.events)) {
      parsed.ok = false;
      return parsed;
    }
  }
  parser.finish(parsed.events);
  return parsed;
}

// What a parser makes of a data value: its line breaks ("\r\n", "\r", "\n") become '\n'.
std::string normalised(std::string_view data) {
  std::string out;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\r') {
      out += '\n';
      if (i + 1 < data.size() && data[i + 1] == '\n') ++i;
    } else {
      out += data[i];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  const auto pieces = llmux::fuzz::pieces(input);

  const Parsed whole = parse({input}, 16 << 20);
  const Parsed split = parse(pieces, 16 << 20);
  check(whole.ok && split.ok, "an event within the limit refused");
  check(whole.events == split.events, "events differ when the stream arrives in pieces");

  // A small limit: a cut stream holds an unfinished line with its field name, so it may fail
  // where the whole one does not, never the other way round.
  const std::size_t small_limit = 1 + size % 97;
  const Parsed whole_small = parse({input}, small_limit);
  const Parsed split_small = parse(pieces, small_limit);
  if (split_small.ok) {
    check(whole_small.ok, "a whole stream refused that passes in pieces");
    check(whole_small.events == split_small.events, "events differ under a small limit");
  }

  for (const wire::SseEvent& event : whole.events) {
    std::string framed;
    wire::append_data_event(framed, event.data);
    const Parsed again = parse({framed}, 16 << 20);
    check(again.ok && again.events.size() == 1, "a framed event does not read back as one");
    check(again.events[0].data == normalised(event.data), "a framed event reads back otherwise");
  }
  return 0;
}
