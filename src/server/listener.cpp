#include "server/listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <iostream>

namespace llmux::server {

using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kRequestReadBytes = 2 * 1024;  // a typical request; larger ones grow it
constexpr auto kAcceptRetryPause = std::chrono::milliseconds(50);
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 64u << 20;

// After refusing a request whose body is still arriving, closing at once would make the kernel
// reset the connection and the client could lose the refusal. So stop sending, then read and
// discard what the client still sends, for a bounded time and size (nginx's lingering close).
asio::awaitable<void> linger_close(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kLingerTime);
  std::array<char, 16 * 1024> scratch;
  std::size_t discarded = 0;
  while (!ec && discarded < kLingerBytes) {
    auto [read_ec, read] = co_await stream.async_read_some(asio::buffer(scratch), kUseTuple);
    ec = read_ec;
    discarded += read;
  }
}

}  // namespace

struct Listener::Session {
  beast::tcp_stream* stream = nullptr;
  bool busy = false;  // a request is being read or served
};

Listener::Listener(asio::io_context& io, const tcp::endpoint& endpoint, bool reuse_port, Limits limits,
                   Handler& handler)
    : io_(io), acceptor_(io), limits_(limits), handler_(handler) {
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
  asio::co_spawn(io_, accept_loop(), [](std::exception_ptr error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::cerr << R"({"level":"error","msg":"accept loop failed","error":")" << e.what() << "\"}\n";
      }
    }
  });
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
    if (sessions_.size() >= limits_.max_connections) continue;  // the socket closes here
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(io_, run_session(std::move(socket)), [](std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          std::cerr << R"({"level":"error","msg":"session failed","error":")" << e.what() << "\"}\n";
        }
      }
    });
  }
}

asio::awaitable<void> Listener::run_session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  buffer.reserve(kRequestReadBytes);  // so one read takes a whole typical request (see Beast's read_size)
  Session session{.stream = &stream};
  sessions_.push_back(&session);
  auto position = std::prev(sessions_.end());
  struct Unlink {
    Listener& listener;
    std::list<Session*>::iterator position;
    ~Unlink() {
      listener.sessions_.erase(position);
      listener.session_ended();
    }
  } unlink{*this, position};
  auto watch = std::make_shared<ClientWatch>();

  // An error the server answers itself, then closes the connection.
  auto reject = [&](unsigned status, std::string_view message) -> asio::awaitable<void> {
    http::response<http::string_body> response{static_cast<http::status>(status), 11};
    response.set(http::field::content_type, "application/json");
    response.keep_alive(false);
    response.body() = handler_.error_body(status, message);
    response.prepare_payload();
    stream.expires_after(limits_.read_timeout);
    auto [ec, written] = co_await http::async_write(stream, response, kUseTuple);
    if (!ec) co_await linger_close(stream);
  };

  while (!draining_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(limits_.header_bytes);
    parser.body_limit(limits_.body_bytes);
    session.busy = buffer.size() > 0;
    stream.expires_after(buffer.size() > 0 ? limits_.read_timeout : limits_.keepalive_idle);
    auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
    if (header_ec) {
      if (header_ec == http::error::body_limit) {  // Content-Length already over the limit
        co_await reject(413, "Request body too large (limit " + std::to_string(limits_.body_bytes) + " bytes).");
      } else if (header_ec == http::error::header_limit) {
        co_await reject(431, "Request header fields too large (limit " +
                                 std::to_string(limits_.header_bytes / 1024) + " KiB).");
      } else if (header_ec != http::error::end_of_stream && header_ec != beast::error::timeout &&
                 header_ec != asio::error::operation_aborted && header_ec != asio::error::connection_reset &&
                 header_ec != asio::error::eof && !draining_) {
        co_await reject(400, "Malformed HTTP request: " + header_ec.message() + ".");
      }
      break;
    }
    session.busy = true;
    const auto received_at = std::chrono::steady_clock::now();
    stream.expires_after(limits_.read_timeout);
    if (const auto length = parser.content_length(); length && *length > limits_.body_bytes) {
      co_await reject(413, "Request body too large: " + std::to_string(*length) + " bytes (limit " +
                               std::to_string(limits_.body_bytes) + " bytes).");
      break;
    }
    if (parser.get()[http::field::expect] == "100-continue") {
      http::response<http::empty_body> go_on{http::status::continue_, 11};
      co_await http::async_write(stream, go_on, kUseTuple);
    }
    auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (body_ec) {
      if (body_ec == http::error::body_limit) {
        co_await reject(413, "Request body too large (limit " + std::to_string(limits_.body_bytes) + " bytes).");
      } else if (body_ec != beast::error::timeout && body_ec != http::error::end_of_stream &&
                 body_ec != asio::error::eof && body_ec != asio::error::connection_reset) {
        co_await reject(400, "Malformed HTTP request body: " + body_ec.message() + ".");
      }
      break;
    }
    stream.expires_never();  // the handler bounds its own work (upstream timeouts)

    Request request = parser.release();
    Exchange exchange(stream, request, watch, received_at);
    co_await handler_.handle(exchange);
    if (!exchange.responded()) {
      co_await exchange.respond(500, handler_.error_body(500, "The request was not answered."));
    } else if (exchange.streaming() && !exchange.failed()) {
      co_await exchange.end_stream();
    }
    if (!exchange.keep_alive() || watch->client_left) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.close();
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
    if (!session->busy) session->stream->socket().cancel(ignored);
  }
  if (sessions_.empty() && on_drained_) {
    auto done = std::move(on_drained_);
    on_drained_ = nullptr;
    done();
  }
}

void Listener::close_all() {
  beast::error_code ignored;
  for (Session* session : sessions_) session->stream->socket().close(ignored);
}

}  // namespace llmux::server
