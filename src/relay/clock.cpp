#include "relay/clock.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace llmux::relay {

asio::awaitable<void> SteadyClock::wait(Duration duration) {
  timer_.expires_after(duration);
  co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace llmux::relay
