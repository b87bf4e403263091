#include "providers/sse_stream_decoder.hpp"

namespace llmux::providers {

SseStreamDecoder::SseStreamDecoder() {
  events_.reserve(16);  // a network read usually completes a handful of events
}

Result<void> SseStreamDecoder::feed(std::string_view bytes, std::string& out) {
  events_.clear();
  if (!parser_.feed(bytes, events_)) {
    return make_error(ErrorKind::upstream_failed, "The upstream stream sent an event larger than the limit.");
  }
  return relay(out);
}

Result<void> SseStreamDecoder::finish(std::string& out) {
  events_.clear();
  parser_.finish(events_);
  if (auto relayed = relay(out); !relayed) return relayed;
  if (done_) return {};
  return on_close(out);
}

Result<void> SseStreamDecoder::on_close(std::string& /*out*/) {
  return ended_early();
}

Error SseStreamDecoder::ended_early() {
  return make_error(ErrorKind::upstream_failed, "The upstream closed the stream before it was complete.");
}

Result<void> SseStreamDecoder::relay(std::string& out) {
  for (const auto& event : events_) {
    if (done_) break;
    if (auto handled = on_event(event, out); !handled) return handled;
  }
  return {};
}

}  // namespace llmux::providers
