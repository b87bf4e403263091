#include "server/exchange.hpp"

#include "server/client_limits.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/status.hpp>

#include <array>
#include <charconv>
#include <span>

#include <sys/socket.h>

namespace llmux::server {

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Does a TLS record starting with `header` (`size` bytes of its 5-byte header) carry an alert, as
// a client's close_notify? TLS 1.2 says so in the record type; TLS 1.3 hides the type, but an
// alert (2 bytes, its inner type byte and a 16-byte AEAD tag) is the only record of 19 bytes a
// client sends (a request is longer).
bool is_tls_alert_record(const unsigned char* header, ssize_t size) {
  constexpr unsigned char kAlert = 21;
  constexpr unsigned char kApplicationData = 23;
  constexpr unsigned kTls13AlertLength = 2 + 1 + 16;
  if (size >= 1 && header[0] == kAlert) return true;
  return size == 5 && header[0] == kApplicationData &&
         (static_cast<unsigned>(header[3]) << 8 | header[4]) == kTls13AlertLength;
}

}  // namespace

Exchange::Exchange(net::ByteStream& stream, Request& request, std::shared_ptr<ClientWatch> watch,
                   std::chrono::steady_clock::time_point received_at, bool use_x_forwarded_for)
    : stream_(stream),
      request_(request),
      watch_(std::move(watch)),
      received_at_(received_at),
      use_x_forwarded_for_(use_x_forwarded_for) {}

Exchange::~Exchange() { unwatch_client(); }

std::string_view Request::header(std::string_view name) const {
  for (const auto& [field, value] : head_.fields) {
    if (net::http1::iequals(field, name)) return value;
  }
  return {};
}

std::string_view Exchange::path() const {
  const std::string_view target = request_.target();
  return target.substr(0, target.find('?'));
}

std::string_view Exchange::header(std::string_view name) const { return request_.header(name); }

std::string Exchange::client_address() const {
  boost::system::error_code ec;
  const auto peer = stream_.socket().remote_endpoint(ec).address();
  const auto client = use_x_forwarded_for_ ? forwarded_client(request_.head_, peer) : peer;
  return ec && client == peer ? std::string() : client.to_string();
}

void Exchange::set_header(std::string_view name, std::string value) {
  for (auto& [existing, text] : headers_) {
    if (existing == name) {  // a later attempt replaces what an earlier one set
      text = std::move(value);
      return;
    }
  }
  if (headers_.empty()) headers_.reserve(8);
  headers_.emplace_back(name, std::move(value));
}

bool Exchange::keep_alive() const { return !failed_ && !close_after_ && request_.keep_alive(); }

std::string Exchange::response_head(unsigned status, std::string_view content_type, bool chunked,
                                    std::size_t content_length) const {
  std::string head;
  head.reserve(128 + headers_.size() * 48);
  head += request_.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  head.append(reason.data(), reason.size());
  head += "\r\nContent-Type: ";
  head += content_type;
  if (chunked) {
    head += "\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked";
  } else {
    head += "\r\nContent-Length: ";
    head += std::to_string(content_length);
  }
  for (const auto& [name, value] : headers_) {
    head += "\r\n";
    head += name;
    head += ": ";
    head += value;
  }
  if (!keep_alive())
    head += "\r\nConnection: close";
  else if (request_.version() == 10)
    head += "\r\nConnection: keep-alive";
  head += "\r\n\r\n";
  return head;
}

asio::awaitable<void> Exchange::respond(unsigned status, std::string body,
                                        std::string_view content_type) {
  unwatch_client();
  responded_ = true;
  // Written by hand, head and body in one writev: Beast's serializer is the costlier part.
  const std::string head = response_head(status, content_type, false, body.size());
  const bool send_body = request_.method() != http::verb::head;
  const std::array<asio::const_buffer, 2> buffers{
      asio::buffer(head), asio::buffer(body.data(), send_body ? body.size() : 0)};
  // Written as a span: Asio's own loop for a two-buffer array passes an empty first buffer once
  // the head is out, which Beast's TLS stream writes as nothing, ending the write short.
  const std::span<const asio::const_buffer> to_send(buffers);
  auto [ec, written] = co_await stream_.with_stream(
      [&](auto& carrier) { return asio::async_write(carrier, to_send, kUseTuple); });
  if (ec) failed_ = true;
}

void Exchange::start_stream(std::string_view content_type) {
  responded_ = true;
  streaming_ = true;
  if (request_.version() == 10) close_after_ = true;  // HTTP/1.0 has no chunked encoding
  pending_head_ = response_head(200, content_type, request_.version() != 10, 0);
}

asio::awaitable<bool> Exchange::write(std::string_view data, bool last) {
  if (failed_ || stream_ended_) co_return false;
  const bool chunked = request_.version() != 10;
  // One writev: [head] [size line, data, CRLF] [terminating chunk].
  std::array<asio::const_buffer, 5> buffers;
  std::size_t count = 0;
  if (!pending_head_.empty()) buffers[count++] = asio::buffer(pending_head_);
  char size_line[24];
  if (!data.empty()) {
    if (chunked) {
      auto [end, error] =
          std::to_chars(size_line, size_line + sizeof size_line - 2, data.size(), 16);
      *end++ = '\r';
      *end++ = '\n';
      buffers[count++] = asio::buffer(size_line, static_cast<std::size_t>(end - size_line));
    }
    buffers[count++] = asio::buffer(data.data(), data.size());
    if (chunked) buffers[count++] = asio::buffer("\r\n", 2);
  }
  if (last) {
    stream_ended_ = true;
    unwatch_client();
    if (chunked) buffers[count++] = asio::buffer("0\r\n\r\n", 5);
  }
  if (count == 0) co_return true;
  const std::span<const asio::const_buffer> to_send(buffers.data(), count);
  auto [ec, written] = co_await stream_.with_stream(
      [&](auto& carrier) { return asio::async_write(carrier, to_send, kUseTuple); });
  pending_head_.clear();
  if (ec) failed_ = true;
  co_return !failed_;
}

asio::awaitable<void> Exchange::end_stream() {
  unwatch_client();
  if (failed_ || stream_ended_) co_return;
  co_await write({}, true);
}

void Exchange::watch_client(std::function<void()> on_leave) {
  ClientWatch& watch = *watch_;
  watch.on_leave = std::move(on_leave);
  watch.armed = true;
  const unsigned generation = ++watch.generation;
  auto& socket = stream_.socket();
  socket.async_wait(asio::ip::tcp::socket::wait_read,
                    [watch = watch_, generation, fd = socket.native_handle(),
                     tls = stream_.tls() != nullptr](const beast::error_code& ec) {
                      if (ec || !watch->armed || watch->generation != generation) return;
                      // Readable: either the client closed (EOF/reset, or over TLS an alert first)
                      // or it pipelined more bytes.
                      unsigned char header[5];
                      const ssize_t peeked =
                          ::recv(fd, header, tls ? sizeof header : 1, MSG_PEEK | MSG_DONTWAIT);
                      if (peeked > 0 && !(tls && is_tls_alert_record(header, peeked)))
                        return;  // data: stop watching
                      if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
                      watch->armed = false;
                      watch->client_left = true;
                      if (watch->on_leave) watch->on_leave();
                    });
}

void Exchange::unwatch_client() {
  ClientWatch& watch = *watch_;
  if (!watch.armed) return;
  watch.armed = false;
  watch.on_leave = nullptr;
  beast::error_code ignored;
  stream_.socket().cancel(ignored);
}

}  // namespace llmux::server
