// Accepts connections on one worker's io_context and runs one session coroutine per
// connection: read a request within the limits, hand it to the Handler, repeat (keep-alive).
#pragma once

#include "net/byte_stream.hpp"
#include "server/client_limits.hpp"
#include "server/exchange.hpp"
#include "server/request_memory.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <optional>

namespace llmux::net {
class SocketDeadline;
}

namespace llmux::server {

struct Limits {
  std::uint32_t header_bytes = 64 * 1024;
  std::uint64_t body_bytes = 50ull << 20;
  std::chrono::milliseconds keepalive_idle{120'000};  // between requests on one connection
  std::chrono::milliseconds read_timeout{60'000};     // to receive one whole request
  std::size_t max_connections = 100'000;              // of this listener
  // Every connection comes from a proxy the operator trusts: a request is from the client the
  // proxy names (forwarded_client), for the per-client request rate and
  // Exchange::client_address; connections are still counted for the proxy.
  bool use_x_forwarded_for = false;
};

// TLS on the listener: every connection's handshake uses `context` and must end within
// Limits::read_timeout; `on_failed_handshake` is told of each one that did not (it runs on the
// listener's thread).
struct ListenerTls {
  asio::ssl::context& context;
  std::function<void()> on_failed_handshake;
};

class Listener {
 public:
  // Binds `endpoint`; with `reuse_port`, several listeners (one per worker) share the port.
  // `request_memory` bounds the bodies being received, and `client_limits` (when given) what one
  // client address may open and send, by all listeners together. With `tls`, connections speak
  // HTTPS only.
  Listener(asio::io_context& io, const asio::ip::tcp::endpoint& endpoint, bool reuse_port,
           Limits limits, RequestMemory& request_memory, ClientLimits* client_limits,
           Handler& handler, std::optional<ListenerTls> tls = std::nullopt);
  ~Listener();

  unsigned short port() const;
  void start();
  // Stops accepting, closes idle connections and lets busy ones finish their current
  // response. `on_drained` runs (on this thread) once no connection is left.
  void drain(std::function<void()> on_drained);
  // Closes every connection at once (drain took too long).
  void close_all();

 private:
  struct Session;
  asio::awaitable<void> accept_loop();
  // `client`: the peer's address (unset without client limits).
  asio::awaitable<void> run_session(net::ByteStream stream, asio::ip::address client);
  // The TLS handshake of a new connection (true when there is none to do). A failed one is
  // counted and the connection closed; a client that spoke plain HTTP is told so first.
  asio::awaitable<bool> secure(net::ByteStream& stream, net::SocketDeadline& deadline);
  // Answers a connection that will not be served with `status` and closes it.
  void turn_away(net::ByteStream stream, unsigned status, std::string message);
  void session_ended();

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  Limits limits_;
  RequestMemory& request_memory_;
  ClientLimits* client_limits_;
  Handler& handler_;
  std::optional<ListenerTls> tls_;
  std::list<Session*> sessions_;
  std::size_t turning_away_ = 0;  // connections being answered by turn_away
  bool draining_ = false;
  std::function<void()> on_drained_;
};

}  // namespace llmux::server
