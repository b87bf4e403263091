// The only code that dials provider hosts: HTTP/1.1 over TCP or TLS with keep-alive pools.
// One Client belongs to one worker thread (its io_context); it is never shared, so it takes no
// locks. An Error from here is a transport failure, a redirect (never followed: 502) or a
// client-chosen destination its policy refuses (400); other HTTP statuses are data for the caller.
#pragma once

#include "upstream/transport.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace llmux::upstream {

namespace asio = boost::asio;

class Connection;
class Pool;

// An upstream response on a pooled connection, read piece by piece.
class Stream final : public ResponseStream {
 public:
  ~Stream() override;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  int status() const override { return status_; }
  std::optional<std::chrono::seconds> retry_after() const override { return retry_after_; }
  net::http1::RemainingLimits remaining_limits() const override;
  std::optional<std::uint64_t> declared_length() const override;
  asio::awaitable<Result<std::optional<std::string_view>>> next() override;

 private:
  friend class Client;
  struct State;
  explicit Stream(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  int status_ = 0;
  std::optional<std::chrono::seconds> retry_after_;
};

// The network's transport: HTTP/1.1 over TCP or TLS, keep-alive connections pooled per origin.
class Client final : public Transport {
 public:
  Client(asio::io_context& io, asio::ssl::context& tls);
  ~Client() override;

  asio::awaitable<Result<Response>> send(Call call, AbortHandle& abort) override;
  // send() of a call its caller keeps alive until the answer, to send it again if need be (a
  // logging callback's retried batch): its body is not copied.
  asio::awaitable<Result<Response>> send_kept(const Call& call, AbortHandle& abort);
  asio::awaitable<Result<std::unique_ptr<ResponseStream>>> open_stream(Call call,
                                                                       AbortHandle& abort) override;

 private:
  asio::awaitable<Result<std::unique_ptr<Stream>>> open_pooled(
      const Call& call, std::chrono::milliseconds first_byte_timeout, AbortHandle& abort);

  asio::io_context& io_;
  asio::ssl::context& tls_;
  std::unique_ptr<Pool> pool_;
};

// A TLS client context that verifies servers against the system's certificate store. Loading
// that store takes tens of milliseconds, so a gateway with no https upstream skips it.
std::unique_ptr<asio::ssl::context> make_tls_context(bool load_system_roots = true);

}  // namespace llmux::upstream
