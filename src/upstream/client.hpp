// The only code that dials provider hosts: HTTP/1.1 over TCP or TLS with keep-alive pools.
// One Client belongs to one worker thread (its io_context); it is never shared, so it takes no
// locks. An Error from here is a transport failure, a redirect (never followed: 502) or a
// client-chosen destination its policy refuses (400); other HTTP statuses are data for the caller.
#pragma once

#include "base/client_destination.hpp"
#include "base/error.hpp"

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

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Call {
  std::string url;  // absolute http(s) URL
  Headers headers;
  std::string body;                       // sent with POST, as content_type
  std::chrono::milliseconds timeout;      // the whole call (non-streaming) / between chunks
  std::chrono::milliseconds first_byte_timeout;  // until the response headers arrive
  std::string_view content_type = "application/json";  // a static string (an OAuth form, …)
  // Set when the client chose the URL: only addresses its policy permits are dialled, on
  // connections never shared with the operator's destinations.
  ClientDestination client_destination{};
  // send(): an answer body larger than this fails the call instead of being buffered.
  std::size_t max_answer_bytes = 64u << 20;
};

struct Response {
  int status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
};

// Lets the caller abandon a call in flight (the client went away): abort() closes the
// connection, so the pending read or write finishes at once with an error.
class AbortHandle {
 public:
  void abort() {
    aborted_ = true;
    if (action_) action_();
  }
  bool aborted() const { return aborted_; }
  void set_action(std::function<void()> action) { action_ = std::move(action); }

 private:
  std::function<void()> action_;
  bool aborted_ = false;
};

class Connection;
class Pool;

// An upstream response whose body is read piece by piece (server-sent events).
class Stream {
 public:
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  int status() const { return status_; }
  std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }
  // The next piece of the body, valid until the next call; nullopt once the body is complete.
  asio::awaitable<Result<std::optional<std::string_view>>> next();
  // Reads the rest of the body (an error answer) up to `limit` bytes.
  asio::awaitable<Result<std::string>> read_all(std::size_t limit);

 private:
  friend class Client;
  struct State;
  explicit Stream(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  int status_ = 0;
  std::optional<std::chrono::seconds> retry_after_;
};

class Client {
 public:
  Client(asio::io_context& io, asio::ssl::context& tls);
  ~Client();

  asio::awaitable<Result<Response>> send(Call call, AbortHandle& abort);
  asio::awaitable<Result<std::unique_ptr<Stream>>> open_stream(Call call, AbortHandle& abort);


 private:
  asio::io_context& io_;
  asio::ssl::context& tls_;
  std::unique_ptr<Pool> pool_;
};

// A TLS client context that verifies servers against the system's certificate store. Loading
// that store takes tens of milliseconds, so a gateway with no https upstream skips it.
std::unique_ptr<asio::ssl::context> make_tls_context(bool load_system_roots = true);

}  // namespace llmux::upstream
