// The seam between the relay and the network: send a call and read its answer whole, or open it
// and read the body piece by piece. upstream::Client is the network's; tests drive the relay
// through a fake; mock_response deployments are answered in process (local_answers.hpp).
#pragma once

#include "base/error.hpp"
#include "net/client_destination.hpp"
#include "net/http1.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmux::upstream {

namespace asio = boost::asio;

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Call {
  std::string url;  // absolute http(s) URL
  Headers headers;
  std::string body;                              // sent with POST, as content_type
  std::chrono::milliseconds timeout;             // the whole call (non-streaming) / between chunks
  std::chrono::milliseconds first_byte_timeout;  // until the response headers arrive
  std::string_view content_type = "application/json";  // a static string (an OAuth form, …)
  // Set when the client chose the URL: only addresses its policy permits are dialled, on
  // connections never shared with the operator's destinations.
  net::ClientDestination client_destination{};
  // send(): an answer body larger than this fails the call instead of being buffered.
  std::size_t max_answer_bytes = 64u << 20;
};

struct Response {
  int status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
  net::http1::RemainingLimits remaining;
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

// An answer whose body is read piece by piece (server-sent events). Destroyed before its body
// was read to the end, it gives up its connection (it cannot be reused).
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual int status() const = 0;
  virtual std::optional<std::chrono::seconds> retry_after() const = 0;
  // The answer's x-ratelimit-remaining-* fields; none by default (an answer made in process).
  virtual net::http1::RemainingLimits remaining_limits() const { return {}; }
  // The body's length when its head declared one (Content-Length).
  virtual std::optional<std::uint64_t> declared_length() const { return std::nullopt; }
  // The next piece of the body, valid until the next call; nullopt once the body is complete.
  virtual asio::awaitable<Result<std::optional<std::string_view>>> next() = 0;
  // Reads the rest of the body up to `limit` bytes; a larger one fails as soon as it is known to be
  // (the rest is not read: the connection is then closed, not reused).
  asio::awaitable<Result<std::string>> read_all(std::size_t limit);
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual asio::awaitable<Result<Response>> send(Call call, AbortHandle& abort) = 0;
  virtual asio::awaitable<Result<std::unique_ptr<ResponseStream>>> open_stream(
      Call call, AbortHandle& abort) = 0;
};

}  // namespace llmux::upstream
