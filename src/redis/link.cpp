#include "redis/link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace llmux::redis {

namespace {

using tcp = asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadBytes = 16 * 1024;

// Redis does not repeat a password in its answers, but whatever stands between it and us might.
std::string without_secret(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "[redacted]");
  }
  return text;
}

bool closed_by_peer(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const Options& options) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  if (!options.verify_certificate) {
    context->set_verify_mode(asio::ssl::verify_none);
    return context;
  }
  boost::system::error_code ec;
  if (options.ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(options.ca_file, ec);
  }
  if (ec) {
    return make_error(
        ErrorKind::unavailable,
        "Could not load the CA certificates for Redis (" +
            (options.ca_file.empty() ? std::string("system roots") : options.ca_file) +
            "): " + ec.message() + ".");
  }
  context->set_verify_mode(asio::ssl::verify_peer);
  return context;
}

Link::Link(const asio::any_io_executor& executor, const Options& options, asio::ssl::context* tls)
    : options_(options),
      endpoint_(endpoint_text(options)),
      socket_(executor),
      parser_(options.limits),
      buffer_(kReadBytes) {
  if (tls) tls_.emplace(socket_, *tls);
}

asio::awaitable<Result<std::unique_ptr<Link>>> Link::open(const Options& options,
                                                          asio::ssl::context* tls) {
  auto link = std::make_unique<Link>(co_await asio::this_coro::executor, options, tls);
  link->deadline_.expires_after(options.connect_timeout);
  if (auto connected = co_await link->connect(); !connected) co_return connected.error();
  if (auto introduced = co_await link->introduce(); !introduced) co_return introduced.error();
  link->deadline_.expires_never();
  co_return link;
}

asio::awaitable<Result<void>> Link::connect() {
  const auto executor = socket_.get_executor();
  const std::string port = std::to_string(options_.port);
  tcp::resolver::results_type endpoints;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (!ec) {
    endpoints = tcp::resolver::results_type::create(tcp::endpoint(address, options_.port),
                                                    options_.host, port);
  } else {
    // The socket's deadline cannot stop a name lookup: a timer cancels it instead. Both are
    // shared with the timer's handler, which may run after this frame is gone.
    auto resolver = std::make_shared<tcp::resolver>(executor);
    asio::steady_timer guard(executor, options_.connect_timeout);
    guard.async_wait([resolver](const boost::system::error_code& wait_ec) {
      if (!wait_ec) resolver->cancel();
    });
    auto [resolve_ec, results] = co_await resolver->async_resolve(options_.host, port, kUseTuple);
    guard.cancel();
    if (resolve_ec) {
      co_return make_error(
          ErrorKind::unavailable,
          "Could not resolve the Redis host " + options_.host + ": " + resolve_ec.message() + ".");
    }
    endpoints = std::move(results);
  }
  boost::system::error_code connect_ec = asio::error::host_not_found;
  for (const auto& entry : endpoints) {  // each address in turn, until one answers or time is up
    if (deadline_.passed()) break;
    socket_.close(ec);  // a failed attempt leaves the socket unusable
    auto [attempt_ec] = co_await socket_.async_connect(entry.endpoint(), kUseTuple);
    connect_ec = attempt_ec;
    if (!connect_ec) break;
  }
  if (connect_ec) co_return failure(connect_ec, "connecting");
  socket_.set_option(tcp::no_delay(true), ec);
  if (!tls_) co_return Result<void>();

  if (options_.verify_certificate)
    tls_->set_verify_callback(asio::ssl::host_name_verification(options_.host));
  boost::system::error_code not_an_address;
  asio::ip::make_address(options_.host, not_an_address);
  // Server Name Indication carries names only (RFC 6066), never an address.
  if (not_an_address && !SSL_set_tlsext_host_name(tls_->native_handle(), options_.host.c_str())) {
    co_return make_error(ErrorKind::unavailable,
                         "Could not set the TLS server name for " + endpoint_ + ".");
  }
  auto [handshake_ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, kUseTuple);
  if (handshake_ec) co_return failure(handshake_ec, "the TLS handshake");
  co_return Result<void>();
}

asio::awaitable<Result<void>> Link::introduce() {
  std::string wire;
  std::size_t expected = 0;
  if (!options_.password.empty()) {
    const Command auth = options_.username.empty()
                             ? Command{"AUTH", options_.password}
                             : Command{"AUTH", options_.username, options_.password};
    wire += auth.wire();
    ++expected;
  }
  if (options_.database != 0) {
    wire += Command{"SELECT", std::to_string(options_.database)}.wire();
    ++expected;
  }
  if (expected == 0) co_return Result<void>();
  if (auto written = co_await write(wire); !written) co_return written.error();
  std::vector<Reply> replies;
  while (replies.size() < expected) {
    if (auto read = co_await this->read(replies); !read) co_return read.error();
  }
  for (std::size_t at = 0; at < expected; ++at) {
    if (!replies[at].is_error()) continue;
    const bool auth = at == 0 && !options_.password.empty();
    const std::string refused =
        auth ? "refused the credentials" : "refused SELECT " + std::to_string(options_.database);
    co_return make_error(ErrorKind::unavailable,
                         "Redis at " + endpoint_ + " " + refused + ": " +
                             without_secret(replies[at].text, options_.password));
  }
  co_return Result<void>();
}

asio::awaitable<Result<void>> Link::write(std::string_view bytes) {
  const auto buffer = asio::buffer(bytes.data(), bytes.size());
  std::tuple<boost::system::error_code, std::size_t> outcome;
  if (tls_) {
    outcome = co_await asio::async_write(*tls_, buffer, kUseTuple);
  } else {
    outcome = co_await asio::async_write(socket_, buffer, kUseTuple);
  }
  if (const auto ec = std::get<0>(outcome)) co_return failure(ec, "writing");
  co_return Result<void>();
}

asio::awaitable<Result<void>> Link::read(std::vector<Reply>& replies) {
  const auto buffer = asio::buffer(buffer_);
  std::tuple<boost::system::error_code, std::size_t> outcome;
  if (tls_) {
    outcome = co_await tls_->async_read_some(buffer, kUseTuple);
  } else {
    outcome = co_await socket_.async_read_some(buffer, kUseTuple);
  }
  const auto [ec, read] = outcome;
  if (ec) co_return failure(ec, "reading");
  co_return parser_.feed(std::string_view(buffer_.data(), read), replies);
}

void Link::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

Error Link::failure(const boost::system::error_code& ec, std::string_view doing) const {
  if (deadline_.passed()) {
    return make_error(ErrorKind::timeout, "Redis at " + endpoint_ + " did not answer in time.");
  }
  if (closed_by_peer(ec))
    return make_error(ErrorKind::unavailable, "Redis at " + endpoint_ + " closed the connection.");
  return make_error(ErrorKind::unavailable, "Redis at " + endpoint_ + ": " + std::string(doing) +
                                                " failed: " + ec.message() + ".");
}

void Backoff::failed() {
  retry_at_ = Clock::now() + next_;
  next_ = std::min(next_ * 2, max_);
}

}  // namespace llmux::redis
