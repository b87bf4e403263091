// Time as the relay sees it: now, and waiting (the backoff before a retry). Injected, so the
// relay's tests drive a manual clock and see every wait without spending it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

namespace llmux::relay {

namespace asio = boost::asio;

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Waits `duration`, or less when cancel() is called meanwhile (the client left).
  virtual asio::awaitable<void> wait(Duration duration) = 0;
  virtual void cancel() = 0;
};

// The steady clock, and a timer on the call's executor (one per call, on its frame).
class SteadyClock final : public Clock {
 public:
  explicit SteadyClock(asio::any_io_executor executor) : timer_(std::move(executor)) {}
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  asio::awaitable<void> wait(Duration duration) override;
  void cancel() override { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

}  // namespace llmux::relay
