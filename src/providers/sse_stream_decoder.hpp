// The frame every stream decoder over text/event-stream shares: upstream bytes through one
// wire::SseParser, each complete event handed on in order until the stream's own end, and the
// close checked for an answer that ended early. A provider writes only its event handling.
#pragma once

#include "providers/provider.hpp"
#include "providers/wire/sse.hpp"

#include <string>
#include <string_view>

namespace llmux::providers {

class SseStreamDecoder : public StreamDecoder, private wire::SseEventSink {
 public:
  Result<void> feed(std::string_view bytes, std::string& out) final;
  Result<void> finish(std::string& out) final;
  bool done() const final { return done_; }

 protected:
  explicit SseStreamDecoder(std::size_t max_event_bytes);

  // One complete upstream event (its data may be empty). Never called once the stream is done.
  virtual Result<void> on_event(const wire::SseEventView& event, std::string& out) = 0;

  // The upstream closed before the stream's own end (every event already relayed): appends the
  // closing frames when the answer is whole anyway, else fails with ended_early() (the default).
  virtual Result<void> on_close(std::string& out);

  // The stream's own end was seen: the events after it are not relayed.
  void mark_done() { done_ = true; }

  static Error ended_early();

 private:
  // Each parsed event goes to on_event until the stream is done or an event fails.
  void dispatch(const wire::SseEventView& event) override;

  wire::SseParser parser_;
  std::string* out_ = nullptr;  // where the events of the current feed or finish go
  Result<void> relayed_;        // the first failure of the current feed or finish
  bool done_ = false;
};

}  // namespace llmux::providers
