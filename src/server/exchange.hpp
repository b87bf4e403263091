// One HTTP request and its response, as a handler sees them: the parsed request, and ways to
// answer it whole or as a stream of chunks. Hides Beast's response types from handlers.
#pragma once

#include "net/byte_stream.hpp"
#include "net/http1.hpp"
#include "server/request_memory.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmux::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// One request as received: its head kept whole (the method, target and fields are views into
// it) and its body.
class Request {
 public:
  Request() = default;
  // Not copied nor moved: the views in the head point into this object's own bytes.
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  http::verb method() const { return method_; }
  std::string_view target() const { return head_.target; }
  unsigned version() const { return head_.minor_version == 0 ? 10 : 11; }
  bool keep_alive() const { return head_.keep_alive; }
  // The first field named `name` (ASCII case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
  std::string_view body() const { return body_.view(); }

 private:
  friend class Listener;
  friend class Exchange;
  std::string head_bytes_;  // the head as received, blank line included
  net::http1::RequestHead head_;
  http::verb method_ = http::verb::unknown;
  BodyBytes body_;
};

// Fires a callback when the client closes its connection while its request is being served.
struct ClientWatch {
  std::function<void()> on_leave;
  unsigned generation = 0;
  bool armed = false;
  bool client_left = false;
};

class Exchange {
 public:
  // use_x_forwarded_for: the connection is a trusted proxy's (Limits::use_x_forwarded_for).
  Exchange(net::ByteStream& stream, Request& request, std::shared_ptr<ClientWatch> watch,
           std::chrono::steady_clock::time_point received_at, bool use_x_forwarded_for = false);
  ~Exchange();

  const Request& request() const { return request_; }
  Request& request() { return request_; }
  std::string_view path() const;                         // the target without its query
  std::string_view header(std::string_view name) const;  // empty when absent
  std::chrono::steady_clock::time_point received_at() const { return received_at_; }
  // The client's address ("127.0.0.1", "::1"), without the port: the connection's peer or,
  // behind a trusted proxy, the client the proxy named (forwarded_client); empty if unknown.
  std::string client_address() const;

  // Headers for whatever is sent next (the whole response, or the head of a stream). `name`
  // must outlive the exchange (a literal): only the value is copied. Setting a name again
  // replaces its value.
  void set_header(std::string_view name, std::string value);

  asio::awaitable<void> respond(unsigned status, std::string body,
                                std::string_view content_type = "application/json");
  // Starts a chunked response (text/event-stream by default). Its status and headers leave with
  // the first chunk, in the same write.
  void start_stream(std::string_view content_type = "text/event-stream");
  // Sends one chunk at once (with the head, if not sent yet); `last` also ends the body in the
  // same write. False when the client has gone.
  asio::awaitable<bool> write(std::string_view data, bool last = false);
  asio::awaitable<void> end_stream();

  bool responded() const { return responded_; }
  bool streaming() const { return streaming_; }
  bool failed() const { return failed_; }
  // Keep the connection open after this exchange? (client's wish, and nothing went wrong)
  bool keep_alive() const;
  void close_after() { close_after_ = true; }

  // Calls `on_leave` once if the client disconnects before unwatch_client(); the callback
  // runs on this connection's thread and must only cancel work (e.g. close an upstream socket).
  void watch_client(std::function<void()> on_leave);
  void unwatch_client();
  bool client_left() const { return watch_->client_left; }

 private:
  std::string response_head(unsigned status, std::string_view content_type, bool chunked,
                            std::size_t content_length) const;

  net::ByteStream& stream_;
  Request& request_;
  std::shared_ptr<ClientWatch> watch_;
  std::chrono::steady_clock::time_point received_at_;
  bool use_x_forwarded_for_;
  std::vector<std::pair<std::string_view, std::string>> headers_;
  bool responded_ = false;
  bool streaming_ = false;
  bool stream_ended_ = false;
  std::string pending_head_;  // a stream's head, until the first chunk carries it
  bool failed_ = false;
  bool close_after_ = false;
};

// What the server calls for each request. One instance per worker thread.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual asio::awaitable<void> handle(Exchange& exchange) = 0;
  // The JSON body of an error the server itself answers (bad HTTP, limits) before any handler.
  virtual std::string error_body(unsigned status, std::string_view message) const = 0;
};

}  // namespace llmux::server
