#include "providers/sse_stream_decoder.hpp"

#include <utility>

namespace llmux::providers {

SseStreamDecoder::SseStreamDecoder(std::size_t max_event_bytes) : parser_(max_event_bytes) {}

Result<void> SseStreamDecoder::feed(std::string_view bytes, std::string& out) {
  // Relayed events are about as long as the upstream's: one allocation instead of a doubling
  // (and a copy) every few events.
  out.reserve(out.size() + bytes.size() + bytes.size() / 8);
  out_ = &out;
  relayed_ = Result<void>();
  if (!parser_.feed(bytes, *this) && relayed_) {
    return make_error(ErrorKind::upstream_failed,
                      "The upstream stream sent an event larger than the limit.");
  }
  return std::exchange(relayed_, Result<void>());
}

Result<void> SseStreamDecoder::finish(std::string& out) {
  out_ = &out;
  relayed_ = Result<void>();
  parser_.finish(*this);
  if (!relayed_) return std::exchange(relayed_, Result<void>());
  if (done_) return {};
  return on_close(out);
}

Result<void> SseStreamDecoder::on_close(std::string& /*out*/) { return ended_early(); }

Error SseStreamDecoder::ended_early() {
  return make_error(ErrorKind::upstream_failed,
                    "The upstream closed the stream before it was complete.");
}

void SseStreamDecoder::dispatch(const wire::SseEventView& event) {
  if (done_ || !relayed_) return;
  relayed_ = on_event(event, *out_);
}

}  // namespace llmux::providers
