#include "server/listener.hpp"

#include "net/socket_deadline.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <charconv>
#include <iostream>

namespace llmux::server {

using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kRequestReadBytes = 2 * 1024;  // a typical request; larger ones grow it
constexpr auto kAcceptRetryPause = std::chrono::milliseconds(50);
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 64u << 20;
// How long a TLS connection's close waits for the client to answer its close_notify.
constexpr auto kTlsCloseTime = std::chrono::seconds(1);

// After refusing a request whose body is still arriving, closing at once would make the kernel
// reset the connection and the client could lose the refusal. So stop sending, then read and
// discard what the client still sends, for a bounded time and size (nginx's lingering close).
asio::awaitable<void> linger_close(tcp::socket& socket, net::SocketDeadline& deadline) {
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  deadline.expires_after(kLingerTime);
  std::array<char, 16 * 1024> scratch;
  std::size_t discarded = 0;
  while (!ec && discarded < kLingerBytes) {
    auto [read_ec, read] = co_await socket.async_read_some(asio::buffer(scratch), kUseTuple);
    ec = read_ec;
    discarded += read;
  }
}

// The answer to a request (or a connection) the server refuses itself, then closes the connection.
// A refusal that passes with time (429, 503) says when to try again.
asio::awaitable<void> refuse_and_close(net::ByteStream& stream, net::SocketDeadline& deadline,
                                       std::chrono::milliseconds write_time, unsigned status,
                                       std::string body) {
  http::response<http::string_body> response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json");
  if (status == 429 || status == 503) response.set(http::field::retry_after, "1");
  response.keep_alive(false);
  response.body() = std::move(body);
  response.prepare_payload();
  deadline.expires_after(write_time);
  auto [ec, written] = co_await stream.with_stream(
      [&](auto& carrier) { return http::async_write(carrier, response, kUseTuple); });
  // (Over TLS the client's further records are discarded unread, as plain bytes would be.)
  if (!ec) co_await linger_close(stream.socket(), deadline);
}

// A plain HTTP client on the TLS port: OpenSSL has read its request line as a broken handshake.
bool is_plain_http(const beast::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST;
}

// Ends a connection the server chose to end. Over TLS the client is sent a close_notify first
// and given a moment to answer it, so it can tell this close from a cut connection.
asio::awaitable<void> close_connection(net::ByteStream& stream, net::SocketDeadline& deadline) {
  tcp::socket& socket = stream.socket();
  if (net::ByteStream::Tls* tls = stream.tls(); tls && socket.is_open() && !deadline.passed()) {
    deadline.expires_after(kTlsCloseTime);
    co_await tls->async_shutdown(kUseTuple);
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

// A limit as written in the config: 10, 0.5.
std::string number_text(double value) {
  char text[32];
  const auto [end, error] = std::to_chars(text, text + sizeof text, value);
  return std::string(text, end);
}

void log_failure(const char* what, std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::cerr << R"({"level":"error","msg":")" << what << R"(","error":")" << e.what() << "\"}\n";
  }
}

}  // namespace

struct Listener::Session {
  tcp::socket* socket = nullptr;
  bool busy = false;  // a request is being read or served
};

Listener::Listener(asio::io_context& io, const tcp::endpoint& endpoint, bool reuse_port,
                   Limits limits, RequestMemory& request_memory, ClientLimits* client_limits,
                   Handler& handler, std::optional<ListenerTls> tls)
    : io_(io),
      acceptor_(io),
      limits_(limits),
      request_memory_(request_memory),
      client_limits_(client_limits && client_limits->any() ? client_limits : nullptr),
      handler_(handler),
      tls_(std::move(tls)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  if (reuse_port) {
    const int on = 1;
    if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
      throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
    }
  }
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

Listener::~Listener() = default;

unsigned short Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::start() {
  asio::co_spawn(io_, accept_loop(),
                 [](std::exception_ptr error) { log_failure("accept loop failed", error); });
}

asio::awaitable<void> Listener::accept_loop() {
  while (!draining_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
    if (draining_) break;
    if (ec) {
      if (ec == asio::error::operation_aborted) break;
      // Out of descriptors (EMFILE) and the like: pause instead of spinning, then try again.
      asio::steady_timer pause(io_, kAcceptRetryPause);
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    net::ByteStream stream = tls_ ? net::ByteStream(std::move(socket), tls_->context)
                                  : net::ByteStream(std::move(socket));
    if (sessions_.size() >= limits_.max_connections) {
      turn_away(std::move(stream), 503,
                "The server has too many connections open (limit " +
                    std::to_string(limits_.max_connections) + " per worker); try again shortly.");
      continue;
    }
    asio::ip::address client;
    if (client_limits_) {
      beast::error_code gone;
      client = stream.socket().remote_endpoint(gone).address();
      if (gone) continue;  // the client left already; the socket closes here
      if (!client_limits_->try_open(client)) {
        turn_away(std::move(stream), 429,
                  "Too many connections from your address (limit " +
                      std::to_string(client_limits_->max_connections()) +
                      "); close one or try again shortly.");
        continue;
      }
    }
    asio::co_spawn(io_, run_session(std::move(stream), client),
                   [](std::exception_ptr error) { log_failure("session failed", error); });
  }
}

// Each answer is small and goes out at once; the lingering close after it is what takes time
// (kLingerTime at most), so only so many are answered at once and the rest are closed unanswered.
void Listener::turn_away(net::ByteStream stream, unsigned status, std::string message) {
  constexpr std::size_t kMostTurnedAwayAtOnce = 64;
  if (turning_away_ >= kMostTurnedAwayAtOnce) return;  // the socket closes here
  ++turning_away_;
  auto answer = [](Listener& listener, net::ByteStream stream, unsigned status,
                   std::string body) -> asio::awaitable<void> {
    net::SocketDeadline deadline(stream.socket());
    if (co_await listener.secure(stream, deadline)) {
      co_await refuse_and_close(stream, deadline, listener.limits_.read_timeout, status,
                                std::move(body));
    }
    --listener.turning_away_;
  };
  asio::co_spawn(
      io_, answer(*this, std::move(stream), status, handler_.error_body(status, message)),
      [](std::exception_ptr error) { log_failure("turning a connection away failed", error); });
}

asio::awaitable<bool> Listener::secure(net::ByteStream& stream, net::SocketDeadline& deadline) {
  net::ByteStream::Tls* tls = stream.tls();
  if (!tls) co_return true;
  deadline.expires_after(limits_.read_timeout);
  auto [ec] = co_await tls->async_handshake(asio::ssl::stream_base::server, kUseTuple);
  if (!ec) co_return true;
  if (tls_->on_failed_handshake && !draining_) tls_->on_failed_handshake();
  if (is_plain_http(ec) && !deadline.passed()) {
    // Told in plain HTTP, the only language this client speaks (nginx answers the same way).
    const std::string body =
        handler_.error_body(400, "This port speaks HTTPS: the request was sent as plain HTTP.");
    const std::string answer =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    auto [write_ec, written] =
        co_await asio::async_write(stream.socket(), asio::buffer(answer), kUseTuple);
    if (!write_ec) co_await linger_close(stream.socket(), deadline);
  }
  beast::error_code ignored;
  stream.socket().close(ignored);
  co_return false;
}

asio::awaitable<void> Listener::run_session(net::ByteStream stream, asio::ip::address client) {
  tcp::socket& socket = stream.socket();
  net::SocketDeadline deadline(socket);
  // Holds bytes only while a request is read: released once it is (and nothing follows it).
  net::http1::ReadBuffer buffer(kRequestReadBytes);
  Session session{.socket = &socket};
  sessions_.push_back(&session);
  auto position = std::prev(sessions_.end());
  struct Unlink {
    Listener& listener;
    std::list<Session*>::iterator position;
    const asio::ip::address& client;
    ~Unlink() {
      if (listener.client_limits_) listener.client_limits_->close(client);
      listener.sessions_.erase(position);
      listener.session_ended();
    }
  } unlink{*this, position, client};
  auto watch = std::make_shared<ClientWatch>();
  if (!co_await secure(stream, deadline)) co_return;

  // Starts reading more bytes into `buffer` (0 bytes and no error: full at `max_capacity`).
  auto read_more = [&](std::size_t max_capacity) {
    std::size_t free_bytes = 0;
    char* const space = buffer.prepare(free_bytes, max_capacity);
    return stream.with_stream([&](auto& carrier) {
      return carrier.async_read_some(asio::buffer(space, free_bytes), kUseTuple);
    });
  };
  // The client went away, timed out or the server is closing: nothing to answer.
  auto is_quiet_end = [&](const beast::error_code& ec) {
    // (A passed deadline closes the socket: the read ends as operation_aborted.)
    // (A TLS client that closes without a close_notify truncates the stream: as common.)
    return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
           ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor ||
           ec == asio::error::connection_reset || draining_;
  };

  // An error the server answers itself, then closes the connection.
  auto reject = [&](unsigned status, std::string_view message) -> asio::awaitable<void> {
    return refuse_and_close(stream, deadline, limits_.read_timeout, status,
                            handler_.error_body(status, message));
  };

  while (!draining_) {
    bool idle = buffer.empty();
    session.busy = !idle;
    deadline.expires_after(idle ? limits_.keepalive_idle : limits_.read_timeout);
    std::size_t head_end = net::http1::find_head_end(buffer.pending());
    beast::error_code read_ec;
    while (head_end == std::string_view::npos && buffer.pending().size() <= limits_.header_bytes) {
      auto [ec, read] = co_await read_more(limits_.header_bytes + kRequestReadBytes);
      read_ec = ec;
      if (ec) break;
      buffer.commit(read);
      if (idle) {  // a request has begun: the rest of its head is due within the read timeout
        idle = false;
        deadline.expires_after(limits_.read_timeout);
      }
      head_end = net::http1::find_head_end(buffer.pending());
    }
    if (read_ec) {
      if (!is_quiet_end(read_ec))
        co_await reject(400, "Malformed HTTP request: " + read_ec.message() + ".");
      break;
    }
    if (head_end == std::string_view::npos || head_end > limits_.header_bytes) {
      co_await reject(431, "Request header fields too large (limit " +
                               std::to_string(limits_.header_bytes / 1024) + " KiB).");
      break;
    }
    session.busy = true;
    const auto received_at = std::chrono::steady_clock::now();
    // One deadline for all that is still to read of this request, set when there is any (moving
    // the deadline nearer re-arms its timer; a small request usually came whole with its head).
    bool rest_bounded = false;
    const auto read_the_rest = [&] {
      if (!rest_bounded) deadline.expires_after(limits_.read_timeout);
      rest_bounded = true;
    };
    Request request;
    request.head_bytes_.assign(buffer.pending().substr(0, head_end));
    buffer.consume(head_end);
    if (const auto problem = net::http1::parse_request_head(request.head_bytes_, request.head_);
        !problem.empty()) {
      co_await reject(400, "Malformed HTTP request: " + std::string(problem) + ".");
      break;
    }
    if (client_limits_ && !client_limits_->try_request(limits_.use_x_forwarded_for
                                                           ? forwarded_client(request.head_, client)
                                                           : client)) {
      co_await reject(429, "Too many requests from your address (limit " +
                               number_text(client_limits_->requests_per_second()) +
                               " per second, burst " + number_text(client_limits_->burst()) +
                               "); slow down.");
      break;
    }
    request.method_ = http::string_to_verb(request.head_.method);
    const auto& head = request.head_;
    if (head.framing == net::http1::BodyFraming::length &&
        head.content_length > limits_.body_bytes) {
      co_await reject(413, "Request body too large: " + std::to_string(head.content_length) +
                               " bytes (limit " + std::to_string(limits_.body_bytes) + " bytes).");
      break;
    }
    if (head.expect_continue) {
      read_the_rest();
      constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await stream.with_stream([&](auto& carrier) {
        return asio::async_write(carrier, asio::buffer(kContinue.data(), kContinue.size()),
                                 kUseTuple);
      });
    }

    // The body: what is buffered already, then straight from the socket into the body, whose
    // storage grows with the bytes that arrive (never with the declared length), within what all
    // bodies being received may take together.
    beast::error_code body_ec;
    bool out_of_memory = false;
    bool over_limit = false;
    bool malformed = false;
    {  // the body's share of the request memory is given back once the body is whole
      BodyBuffer body(request.body_, request_memory_);
      if (head.framing == net::http1::BodyFraming::length) {
        const auto length = static_cast<std::size_t>(head.content_length);
        const std::size_t buffered = std::min(length, buffer.pending().size());
        out_of_memory = !body.append(buffer.pending().substr(0, buffered), length);
        buffer.consume(buffered);
        buffer.release_if_empty();  // the rest goes straight into the body
        while (!out_of_memory && body.size() < length) {
          read_the_rest();
          std::size_t room = 0;
          char* const space = body.prepare(room, length);
          if (!space) {
            out_of_memory = true;
            break;
          }
          auto [ec, read] = co_await stream.with_stream([&](auto& carrier) {
            return carrier.async_read_some(asio::buffer(space, room), kUseTuple);
          });
          body.commit(read);
          body_ec = ec;
          if (ec) break;
        }
      } else if (head.framing == net::http1::BodyFraming::chunked) {
        net::http1::BodyDecoder decoder(net::http1::BodyFraming::chunked, 0);
        while (true) {
          if (!buffer.empty()) {
            const auto step = decoder.decode(buffer.pending_data(), buffer.pending().size());
            if (!step) {
              malformed = true;
              break;
            }
            if (body.size() + step->produced > limits_.body_bytes) {
              over_limit = true;
              break;
            }
            if (!body.append({buffer.pending_data(), step->produced}, limits_.body_bytes)) {
              out_of_memory = true;
              break;
            }
            buffer.consume(step->consumed);
            if (decoder.done()) break;
          }
          read_the_rest();
          auto [ec, read] = co_await read_more(2 * kRequestReadBytes + net::http1::kMaxChunkLine);
          body_ec = ec;
          if (ec) break;
          if (read == 0) {  // a chunk-size line longer than any real one
            malformed = true;
            break;
          }
          buffer.commit(read);
        }
      }
    }
    if (over_limit) {
      co_await reject(
          413, "Request body too large (limit " + std::to_string(limits_.body_bytes) + " bytes).");
      break;
    }
    if (malformed) {
      co_await reject(400, "Malformed HTTP request body: bad chunk.");
      break;
    }
    if (out_of_memory) {
      co_await reject(503, "The server is receiving too many request bodies at once (limit " +
                               std::to_string(request_memory_.limit()) +
                               " bytes for all together); try again shortly.");
      break;
    }
    if (body_ec) {
      if (!is_quiet_end(body_ec))
        co_await reject(400, "Malformed HTTP request body: " + body_ec.message() + ".");
      break;
    }
    buffer.release_if_empty();
    deadline.expires_never();  // the handler bounds its own work (upstream timeouts)

    Exchange exchange(stream, request, watch, received_at, limits_.use_x_forwarded_for);
    co_await handler_.handle(exchange);
    if (!exchange.responded()) {
      co_await exchange.respond(500, handler_.error_body(500, "The request was not answered."));
    } else if (exchange.streaming() && !exchange.failed()) {
      co_await exchange.end_stream();
    }
    if (!exchange.keep_alive() || watch->client_left) break;
  }
  co_await close_connection(stream, deadline);
}

void Listener::session_ended() {
  if (draining_ && sessions_.empty() && on_drained_) {
    auto done = std::move(on_drained_);
    on_drained_ = nullptr;
    done();
  }
}

void Listener::drain(std::function<void()> on_drained) {
  draining_ = true;
  on_drained_ = std::move(on_drained);
  beast::error_code ignored;
  acceptor_.close(ignored);
  for (Session* session : sessions_) {
    if (!session->busy) session->socket->cancel(ignored);
  }
  if (sessions_.empty() && on_drained_) {
    auto done = std::move(on_drained_);
    on_drained_ = nullptr;
    done();
  }
}

void Listener::close_all() {
  beast::error_code ignored;
  for (Session* session : sessions_) session->socket->close(ignored);
}

}  // namespace llmux::server
