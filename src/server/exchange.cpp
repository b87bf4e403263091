#include "server/exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>

#include <sys/socket.h>

namespace llmux::server {

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
}

Exchange::Exchange(beast::tcp_stream& stream, Request& request, std::shared_ptr<ClientWatch> watch,
                   std::chrono::steady_clock::time_point received_at)
    : stream_(stream), request_(request), watch_(std::move(watch)), received_at_(received_at) {}

Exchange::~Exchange() { unwatch_client(); }

std::string_view Exchange::path() const {
  const std::string_view target(request_.target().data(), request_.target().size());
  return target.substr(0, target.find('?'));
}

std::string_view Exchange::query() const {
  const std::string_view target(request_.target().data(), request_.target().size());
  const auto mark = target.find('?');
  return mark == std::string_view::npos ? std::string_view{} : target.substr(mark + 1);
}

std::string_view Exchange::header(std::string_view name) const {
  auto found = request_.find(name);
  if (found == request_.end()) return {};
  return {found->value().data(), found->value().size()};
}

void Exchange::set_header(std::string_view name, std::string_view value) {
  headers_.emplace_back(name, value);
}

bool Exchange::keep_alive() const { return !failed_ && !close_after_ && request_.keep_alive(); }

asio::awaitable<void> Exchange::respond(unsigned status, std::string body, std::string_view content_type) {
  unwatch_client();
  http::response<http::string_body> response{static_cast<http::status>(status), request_.version()};
  response.set(http::field::content_type, content_type);
  for (const auto& [name, value] : headers_) response.set(name, value);
  response.keep_alive(keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  responded_ = true;
  auto [ec, written] = co_await http::async_write(stream_, response, kUseTuple);
  if (ec) failed_ = true;
}

asio::awaitable<bool> Exchange::start_stream(std::string_view content_type) {
  http::response<http::empty_body> response{http::status::ok, request_.version()};
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-cache");
  for (const auto& [name, value] : headers_) response.set(name, value);
  response.keep_alive(keep_alive());
  response.chunked(true);
  responded_ = true;
  streaming_ = true;
  http::response_serializer<http::empty_body> serializer{response};
  auto [ec, written] = co_await http::async_write_header(stream_, serializer, kUseTuple);
  if (ec) failed_ = true;
  co_return !failed_;
}

asio::awaitable<bool> Exchange::write(std::string_view data) {
  if (failed_) co_return false;
  if (data.empty()) co_return true;  // an empty chunk would end the chunked body
  auto [ec, written] =
      co_await asio::async_write(stream_, http::make_chunk(asio::buffer(data.data(), data.size())), kUseTuple);
  if (ec) failed_ = true;
  co_return !failed_;
}

asio::awaitable<void> Exchange::end_stream() {
  unwatch_client();
  if (failed_ || stream_ended_) co_return;
  stream_ended_ = true;
  auto [ec, written] = co_await asio::async_write(stream_, http::make_chunk_last(), kUseTuple);
  if (ec) failed_ = true;
}

void Exchange::watch_client(std::function<void()> on_leave) {
  ClientWatch& watch = *watch_;
  watch.on_leave = std::move(on_leave);
  watch.armed = true;
  const unsigned generation = ++watch.generation;
  auto& socket = stream_.socket();
  socket.async_wait(asio::ip::tcp::socket::wait_read,
                    [watch = watch_, generation, fd = socket.native_handle()](const beast::error_code& ec) {
                      if (ec || !watch->armed || watch->generation != generation) return;
                      // Readable: either the client closed (EOF/reset) or it pipelined more bytes.
                      char byte;
                      const ssize_t peeked = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
                      if (peeked > 0) return;  // data, not a close: stop watching
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
