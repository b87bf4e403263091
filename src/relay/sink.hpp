// Where the relay writes the client's answer. The model-call handler implements it over the
// HTTP exchange (composing the response headers, settling the call before its cost is sent);
// the relay's tests implement it in memory.
#pragma once

#include "base/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace llmux::relay {

namespace asio = boost::asio;

class Sink {
 public:
  virtual ~Sink() = default;
  // The whole answer of a call that succeeded without streaming.
  virtual asio::awaitable<void> answer(std::string body) = 0;
  // Frames of a stream, sent at once: the first call sends the response head with them; `last`
  // ends the body in the same write. False once the client has gone.
  virtual asio::awaitable<bool> stream(std::string_view frames, bool last) = 0;
  // The client has the whole stream: called at once, before the upstream's tail is drained.
  virtual void stream_completed() = 0;
  // Ends a stream that has started with an in-band error event (a stream is never retried).
  virtual asio::awaitable<void> stream_failed(const Error& error) = 0;
  // Something reached the client: nothing can be retried from here on.
  virtual bool started() const = 0;
  // The client closed its connection (or a write to it failed).
  virtual bool client_left() const = 0;
  // Calls `on_leave` once if the client goes away while the call runs; it only cancels work.
  virtual void watch_client(std::function<void()> on_leave) = 0;
};

}  // namespace llmux::relay
