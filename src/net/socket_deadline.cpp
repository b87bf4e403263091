#include "net/socket_deadline.hpp"

namespace llmux::net {

struct SocketDeadline::State {
  Clock::time_point at = Clock::time_point::max();
  Clock::time_point armed_for = Clock::time_point::max();  // when the timer fires, if armed
  unsigned generation = 0;  // of the timer's current wait: older waits end without effect
  bool armed = false;
  bool passed = false;
  boost::asio::ip::tcp::socket* socket = nullptr;  // nullptr once the deadline object is gone
};

SocketDeadline::SocketDeadline(boost::asio::ip::tcp::socket& socket)
    : timer_(socket.get_executor()), state_(std::make_shared<State>()) {
  state_->socket = &socket;
}

SocketDeadline::~SocketDeadline() { state_->socket = nullptr; }

void SocketDeadline::expires_at(Clock::time_point when) {
  state_->at = when;
  if (!state_->armed || when < state_->armed_for) watch(timer_, state_);
}

void SocketDeadline::expires_never() { state_->at = Clock::time_point::max(); }

void SocketDeadline::cancel() {
  state_->at = Clock::time_point::max();
  if (!state_->armed) return;
  state_->armed = false;
  ++state_->generation;  // the cancelled wait ends without effect
  timer_.cancel();
}

bool SocketDeadline::passed() const { return state_->passed; }

void SocketDeadline::watch(boost::asio::steady_timer& timer, const std::shared_ptr<State>& state) {
  state->armed = true;
  state->armed_for = state->at;
  const unsigned generation = ++state->generation;
  timer.expires_at(state->at);
  timer.async_wait([&timer, state, generation](const boost::system::error_code& ec) {
    // A wait replaced by a nearer one, or the owner gone (its timer with it): touch nothing else.
    if (ec || !state->socket || state->generation != generation) return;
    state->armed = false;
    if (state->at == Clock::time_point::max()) return;  // nothing to enforce now
    if (Clock::now() < state->at) return watch(timer, state);
    state->passed = true;
    boost::system::error_code ignored;
    state->socket->close(ignored);
  });
}

}  // namespace llmux::net
