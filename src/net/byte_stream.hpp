// What carries one connection's bytes: a TCP socket, or TLS over one. Reads and writes go through
// with_stream(); deadlines, options, waits and closes act on the TCP socket beneath.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <memory>
#include <utility>
#include <variant>

namespace llmux::net {

class ByteStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  // Beast's TLS stream seals a buffer sequence (a head and its body) as one record, where Asio's
  // would seal one record per buffer.
  using Tls = boost::beast::ssl_stream<Socket>;

  explicit ByteStream(Socket socket) : stream_(std::move(socket)) {}
  // TLS over `socket`, with `tls`'s settings; the handshake is the owner's to do.
  ByteStream(Socket socket, boost::asio::ssl::context& tls)
      : stream_(std::make_unique<Tls>(std::move(socket), tls)) {}

  Socket& socket() {
    if (auto* plain = std::get_if<Socket>(&stream_)) return *plain;
    return std::get<TlsHolder>(stream_)->next_layer();
  }
  // The TLS stream, or null on a plain connection.
  Tls* tls() {
    auto* secure = std::get_if<TlsHolder>(&stream_);
    return secure ? secure->get() : nullptr;
  }
  // Calls `operation` with what carries the bytes; both kinds must give it the same result type.
  template <class Operation>
  auto with_stream(Operation&& operation) {
    if (Tls* secure = tls()) return operation(*secure);
    return operation(std::get<Socket>(stream_));
  }

 private:
  // Held by pointer: a TLS stream is many times a socket's size, which every plain connection
  // would otherwise carry.
  using TlsHolder = std::unique_ptr<Tls>;
  std::variant<Socket, TlsHolder> stream_;
};

}  // namespace llmux::net
