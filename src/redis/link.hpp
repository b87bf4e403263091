// One connection to Redis, the part Client and Subscriber share: dialed, secured with TLS when
// asked and introduced (AUTH, SELECT) within the connect timeout; then bytes out, replies in.
#pragma once

#include "base/error.hpp"
#include "net/socket_deadline.hpp"
#include "redis/options.hpp"
#include "redis/resp.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace llmux::redis {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// The TLS client context for `options`: verification against options.ca_file, else the system's
// roots (unless options.verify_certificate is off). An unreadable CA file is an error here.
Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const Options& options);

class Link {
 public:
  // Dials options.host:port on the calling coroutine's executor, does the TLS handshake when
  // `tls` is given (options.tls) and sends AUTH and SELECT as the options ask.
  static asio::awaitable<Result<std::unique_ptr<Link>>> open(const Options& options,
                                                             asio::ssl::context* tls);

  Link(const asio::any_io_executor& executor, const Options& options, asio::ssl::context* tls);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  asio::awaitable<Result<void>> write(std::string_view bytes);
  // Waits for bytes and appends the replies they complete to `replies` (possibly none yet).
  asio::awaitable<Result<void>> read(std::vector<Reply>& replies);
  // When it passes the connection is closed: the pending read or write fails as a timeout.
  net::SocketDeadline& deadline() { return deadline_; }
  // Ends the pending read and write with an error; the Link is unusable afterwards.
  void close();

 private:
  asio::awaitable<Result<void>> connect();
  asio::awaitable<Result<void>> introduce();
  Error failure(const boost::system::error_code& ec, std::string_view doing) const;

  const Options& options_;  // the owner's, which outlives its links
  std::string endpoint_;    // endpoint_text(options), for errors
  asio::ip::tcp::socket socket_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;  // over socket_
  net::SocketDeadline deadline_{socket_};
  ReplyParser parser_;
  std::vector<char> buffer_;
};

// When the next connection attempt may be made: at once after a success, then backoff_min after a
// failure, doubling with each further failure up to backoff_max.
class Backoff {
 public:
  explicit Backoff(const Options& options)
      : min_(options.backoff_min), max_(options.backoff_max), next_(min_) {}
  void failed();
  void succeeded() {
    next_ = min_;
    retry_at_ = {};
  }
  bool waiting() const { return Clock::now() < retry_at_; }
  Clock::time_point retry_at() const { return retry_at_; }

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds next_;
  Clock::time_point retry_at_{};
};

// A health counter: written by the owner's thread only, read from anywhere (a relaxed load and
// store, no locked add).
struct Counter {
  std::atomic<std::uint64_t> value{0};
  void add(std::uint64_t amount = 1) {
    value.store(value.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }
  std::uint64_t get() const { return value.load(std::memory_order_relaxed); }
};

}  // namespace llmux::redis
