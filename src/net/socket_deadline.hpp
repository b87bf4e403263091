// A deadline for the operations on one socket, enforced lazily: one timer that is re-armed only
// when it fires before the deadline, so moving the deadline later (each request, each read) is
// an assignment rather than a timer arm and cancel per operation. When the deadline passes the
// socket is closed, which ends its pending operation with an error; passed() then says why.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

namespace llmux::net {

class SocketDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  // `socket` must outlive this object.
  explicit SocketDeadline(boost::asio::ip::tcp::socket& socket);
  ~SocketDeadline();
  SocketDeadline(const SocketDeadline&) = delete;
  SocketDeadline& operator=(const SocketDeadline&) = delete;

  void expires_at(Clock::time_point when);
  void expires_after(Clock::duration duration) { expires_at(Clock::now() + duration); }
  // No deadline. The timer may stay armed until the old time (it then finds nothing to do):
  // cheap for a deadline that is set again soon, as a session's for its next request.
  void expires_never();
  // No deadline and no timer left waiting, so the io_context can run out of work: for an owner
  // that may stay idle for long, as a pooled upstream connection.
  void cancel();
  bool passed() const;

 private:
  struct State;
  static void watch(boost::asio::steady_timer& timer, const std::shared_ptr<State>& state);
  boost::asio::steady_timer timer_;
  std::shared_ptr<State> state_;  // shared with the timer's handler, which may outlive this
};

}  // namespace llmux::net
