#include "upstream/client.hpp"

#include "net/http1.hpp"
#include "net/socket_deadline.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/url/parse.hpp>

#include <array>
#include <variant>

namespace llmux::upstream {

namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxIdlePerOrigin = 512;
constexpr auto kMaxIdleTime = std::chrono::seconds(50);
constexpr auto kDnsCacheTime = std::chrono::seconds(60);
constexpr std::size_t kHeaderLimit = 64 * 1024;
// Sized for a whole typical answer or several stream events; every in-flight call holds one, so
// it bounds memory per request too. Body pieces are handed out from it, decoded in place.
constexpr std::size_t kReadPieceBytes = 4 * 1024;
// The buffer grows past kReadPieceBytes only for a response head or a chunk-size line that does
// not fit: a body is consumed as it arrives.
constexpr std::size_t kMaxReadBufferBytes = kHeaderLimit + kReadPieceBytes;

struct Origin {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string host_header;  // host[:port] as the URL wrote it
  std::string target;       // path and query
  std::string key;          // scheme://host:port, the pool's key
  // The pool's key for a client-chosen destination: its connections were checked against the
  // client destination policy, and an operator's connection (to a local model, say) is never
  // handed to a client's call.
  std::string client_key;
};

Result<Origin> parse_origin(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      parsed->host_address().empty()) {
    return Error{.kind = ErrorKind::internal,
                 .message = "The deployment's api_base is not a valid http(s) URL."};
  }
  Origin origin{.tls = parsed->scheme() == "https", .host = parsed->host_address()};
  origin.port = parsed->has_port() ? std::string(parsed->port()) : (origin.tls ? "443" : "80");
  origin.host_header = parsed->encoded_host_and_port();
  origin.target = parsed->encoded_path();
  if (origin.target.empty()) origin.target = "/";
  if (parsed->has_query()) {
    origin.target += '?';
    origin.target += parsed->encoded_query();
  }
  origin.key = std::string(parsed->scheme()) + "://" + origin.host + ":" + origin.port;
  origin.client_key = "client " + origin.key;
  return origin;
}

Error transport_error(const beast::error_code& ec, bool aborted, bool timed_out,
                      const Origin& origin) {
  if (aborted) {
    return Error{.kind = ErrorKind::upstream_failed, .message = "The call was abandoned."};
  }
  if (timed_out) {
    return Error{.kind = ErrorKind::timeout,
                 .message = "The upstream " + origin.key + " did not answer in time."};
  }
  return Error{.kind = ErrorKind::upstream_failed,
               .message = "Could not reach the upstream " + origin.key + ": " + ec.message() + "."};
}

// Header names and values come from the operator's config; a CR or LF would split the request.
bool is_safe_header(std::string_view text) {
  return text.find_first_of("\r\n") == std::string_view::npos;
}

Error malformed_answer(const Origin& origin) {
  return Error{.kind = ErrorKind::upstream_failed,
               .message = "The upstream " + origin.key + " sent a malformed HTTP response."};
}

bool is_end_of_stream(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
}

// A reused keep-alive connection that the server had already closed fails this way before any
// byte of the answer; the request is then sent again, once, on a new connection.
bool is_stale_connection_error(const beast::error_code& ec) {
  return is_end_of_stream(ec) || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe;
}

}  // namespace

class Connection {
 public:
  using Plain = tcp::socket;
  // Held by pointer: a TLS stream is several times a socket's size, which every plain
  // connection (one per call in flight) would otherwise carry.
  using Tls = std::unique_ptr<asio::ssl::stream<tcp::socket>>;

  Connection(asio::io_context& io, std::string key)
      : stream(std::in_place_type<Plain>, io), key(std::move(key)) {}
  Connection(asio::io_context& io, asio::ssl::context& tls, std::string key)
      : stream(std::in_place_type<Tls>, std::make_unique<asio::ssl::stream<tcp::socket>>(io, tls)),
        key(std::move(key)) {}

  tcp::socket& socket() {
    if (auto* plain = std::get_if<Plain>(&stream)) return *plain;
    return std::get<Tls>(stream)->next_layer();
  }
  // Calls `operation` with what carries the bytes: the socket, or the TLS stream over it.
  template <class Operation>
  auto with_stream(Operation&& operation) {
    if (auto* secure = std::get_if<Tls>(&stream)) return operation(**secure);
    return operation(std::get<Plain>(stream));
  }
  void close() {
    beast::error_code ignored;
    socket().close(ignored);
  }

  bool timed_out() const { return deadline.passed(); }

  // Starts reading more bytes into `buffer` (a plain function: no coroutine frame of its own).
  // Completes with 0 bytes and no error when the buffer is full at its largest.
  auto read_more() {
    std::size_t free_bytes = 0;
    char* const space = buffer.prepare(free_bytes, kMaxReadBufferBytes);
    return with_stream(
        [&](auto& s) { return s.async_read_some(asio::buffer(space, free_bytes), kUseTuple); });
  }

  std::variant<Plain, Tls> stream;
  net::SocketDeadline deadline{socket()};  // after `stream`, whose socket it closes
  net::http1::ReadBuffer buffer{kReadPieceBytes};
  std::string key;
  Clock::time_point idle_since{};
  bool reused = false;
};

class Pool {
 public:
  std::unique_ptr<Connection> take(const std::string& key) {
    auto found = idle_.find(key);
    if (found == idle_.end()) return nullptr;
    auto& connections = found->second;
    const auto now = Clock::now();
    while (!connections.empty()) {
      auto connection = std::move(connections.back());
      connections.pop_back();
      if (now - connection->idle_since < kMaxIdleTime) {
        connection->reused = true;
        return connection;
      }
    }
    return nullptr;
  }

  void put(std::unique_ptr<Connection> connection) {
    auto& connections = idle_[connection->key];
    if (connections.size() >= kMaxIdlePerOrigin) return;
    connection->idle_since = Clock::now();
    connection->deadline.cancel();  // an idle pool leaves its io_context free to run out of work
    connection->buffer.release_if_empty();  // an idle connection holds no read buffer
    connections.push_back(std::move(connection));
  }

  struct Resolved {
    tcp::resolver::results_type endpoints;
    Clock::time_point at;
  };
  std::unordered_map<std::string, Resolved> dns;

  // Deployments call the same few URLs over and over: parse each once.
  Result<std::shared_ptr<const Origin>> origin_for(const std::string& url) {
    constexpr std::size_t kMaxCachedUrls = 4096;
    if (auto found = origins_.find(url); found != origins_.end()) return found->second;
    auto parsed = parse_origin(url);
    if (!parsed) return parsed.error();
    if (origins_.size() >= kMaxCachedUrls) origins_.clear();
    auto origin = std::make_shared<const Origin>(std::move(*parsed));
    origins_.emplace(url, origin);
    return origin;
  }

 private:
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
  std::unordered_map<std::string, std::shared_ptr<const Origin>> origins_;
};

struct Stream::State {
  Pool* pool = nullptr;
  std::unique_ptr<Connection> connection;
  net::http1::ResponseHead head;
  net::http1::BodyDecoder body;
  AbortHandle* abort = nullptr;
  std::shared_ptr<const Origin> origin;
  std::chrono::milliseconds piece_timeout{};
  bool whole_call_deadline = false;  // non-streaming: one deadline covers the whole answer

  // Hands the connection back to the pool when the answer is complete and keep-alive allows.
  void settle() {
    if (abort) abort->set_action(nullptr);
    abort = nullptr;
    if (!connection) return;
    // A call abandoned by its client may have had its connection closed after the answer was
    // complete: only a connection that is still open may go back to the pool.
    if (body.done() && head.keep_alive && connection->buffer.empty() &&
        connection->socket().is_open()) {
      pool->put(std::move(connection));
    } else {
      connection->close();
    }
    connection.reset();
  }
};

Stream::Stream(std::unique_ptr<State> state) : state_(std::move(state)) {
  status_ = state_->head.status;
  retry_after_ = state_->head.retry_after;
  state_->body = net::http1::BodyDecoder(state_->head.framing, state_->head.content_length);
}

net::http1::RemainingLimits Stream::remaining_limits() const { return state_->head.remaining; }

std::optional<std::uint64_t> Stream::declared_length() const {
  if (state_->head.framing != net::http1::BodyFraming::length) return std::nullopt;
  return state_->head.content_length;
}

Stream::~Stream() {
  if (state_) state_->settle();
}

asio::awaitable<Result<std::optional<std::string_view>>> Stream::next() {
  State& state = *state_;
  while (!state.body.done()) {
    if (!state.connection)
      co_return Error{.kind = ErrorKind::upstream_failed,
                      .message = "The upstream stream is closed."};
    Connection& connection = *state.connection;
    if (!connection.buffer.empty()) {
      char* const piece = connection.buffer.pending_data();
      const auto step = state.body.decode(piece, connection.buffer.pending().size());
      if (!step) {
        connection.close();
        state.connection.reset();
        co_return malformed_answer(*state.origin);
      }
      connection.buffer.consume(step->consumed);
      // The piece stays valid until the next call: only then is the buffer compacted.
      if (step->produced > 0)
        co_return std::optional<std::string_view>(std::string_view(piece, step->produced));
      if (state.body.done()) break;
    }
    if (!state.whole_call_deadline)
      connection.deadline.expires_at(Clock::now() + state.piece_timeout);
    auto [ec, read] = co_await connection.read_more();
    if (ec && is_end_of_stream(ec) && state.body.finish_at_close()) break;
    if (ec || read == 0) {
      Error error = ec ? transport_error(ec, state.abort && state.abort->aborted(),
                                         connection.timed_out(), *state.origin)
                       : malformed_answer(*state.origin);  // a framing line longer than the buffer
      connection.close();
      state.connection.reset();
      co_return error;
    }
    connection.buffer.commit(read);
  }
  state.settle();
  co_return std::optional<std::string_view>();
}

namespace {

// `client_destination`: the client chose the URL; every address the host resolves to must be one
// its policy permits, and only those are dialled (no second lookup that could rebind).
asio::awaitable<Result<std::unique_ptr<Connection>>> connect(
    asio::io_context& io, asio::ssl::context& tls, Pool& pool, const Origin& origin,
    net::ClientDestination client_destination, Clock::time_point deadline) {
  beast::error_code ec;
  tcp::resolver::results_type endpoints;
  const auto address = asio::ip::make_address(origin.host, ec);
  if (!ec) {
    endpoints = tcp::resolver::results_type::create(
        tcp::endpoint(address, static_cast<unsigned short>(std::stoi(origin.port))), origin.host,
        origin.port);
  } else if (auto cached = pool.dns.find(origin.key);
             cached != pool.dns.end() && Clock::now() - cached->second.at < kDnsCacheTime) {
    endpoints = cached->second.endpoints;
  } else {
    tcp::resolver resolver(io);
    auto [resolve_ec, results] =
        co_await resolver.async_resolve(origin.host, origin.port, kUseTuple);
    if (resolve_ec) {
      co_return Error{.kind = ErrorKind::upstream_failed,
                      .message = "Could not resolve the upstream host " + origin.host + ": " +
                                 resolve_ec.message() + "."};
    }
    endpoints = results;
    pool.dns[origin.key] = {results, Clock::now()};
  }
  if (client_destination) {
    for (const auto& entry : endpoints) {
      if (!client_destination.policy->permits(origin.host, entry.endpoint().address())) {
        co_return net::destination_refused(client_destination.field);
      }
    }
  }
  const std::string& pool_key = client_destination ? origin.client_key : origin.key;
  auto connection = origin.tls ? std::make_unique<Connection>(io, tls, pool_key)
                               : std::make_unique<Connection>(io, pool_key);
  connection->deadline.expires_at(deadline);
  beast::error_code connect_ec = asio::error::host_not_found;
  for (const auto& entry : endpoints) {  // each address in turn, until one answers or time is up
    if (connection->timed_out()) break;
    connection->close();  // a failed attempt leaves the socket unusable
    auto [attempt_ec] = co_await connection->socket().async_connect(entry.endpoint(), kUseTuple);
    connect_ec = attempt_ec;
    if (!connect_ec) break;
  }
  if (connect_ec) co_return transport_error(connect_ec, false, connection->timed_out(), origin);
  connection->socket().set_option(tcp::no_delay(true), ec);
  if (auto* tls_stream = std::get_if<Connection::Tls>(&connection->stream)) {
    auto* secure = tls_stream->get();
    if (!SSL_set_tlsext_host_name(secure->native_handle(), origin.host.c_str())) {
      co_return Error{.kind = ErrorKind::upstream_failed,
                      .message = "Could not set TLS server name for " + origin.host + "."};
    }
    secure->set_verify_mode(asio::ssl::verify_peer);
    secure->set_verify_callback(asio::ssl::host_name_verification(origin.host));
    auto [handshake_ec] =
        co_await secure->async_handshake(asio::ssl::stream_base::client, kUseTuple);
    if (handshake_ec) {
      co_return Error{.kind = ErrorKind::upstream_failed,
                      .message = "TLS handshake with the upstream " + origin.key +
                                 " failed: " + handshake_ec.message() + "."};
    }
  }
  co_return connection;
}

}  // namespace

Client::Client(asio::io_context& io, asio::ssl::context& tls)
    : io_(io), tls_(tls), pool_(std::make_unique<Pool>()) {}
Client::~Client() = default;

asio::awaitable<Result<std::unique_ptr<ResponseStream>>> Client::open_stream(Call call,
                                                                             AbortHandle& abort) {
  auto stream = co_await open_pooled(call, call.first_byte_timeout, abort);
  if (!stream) co_return stream.error();
  co_return std::unique_ptr<ResponseStream>(std::move(*stream));
}

asio::awaitable<Result<std::unique_ptr<Stream>>> Client::open_pooled(
    const Call& call, std::chrono::milliseconds first_byte_timeout, AbortHandle& abort) {
  auto cached_origin = pool_->origin_for(call.url);
  if (!cached_origin) co_return cached_origin.error();
  const std::shared_ptr<const Origin> origin = std::move(*cached_origin);

  // The request head is written by hand: Beast's serializer costs more than the rest of the call.
  std::string head;
  head.reserve(160 + origin->target.size() + call.headers.size() * 64 +
               (origin->tls ? call.body.size() : 0));
  head += "POST ";
  head += origin->target;
  head += " HTTP/1.1\r\nHost: ";
  head += origin->host_header;
  head += "\r\nContent-Type: ";
  head += call.content_type;
  head += "\r\nUser-Agent: llmux\r\nContent-Length: ";
  head += std::to_string(call.body.size());
  head += "\r\n";
  for (const auto& [name, value] : call.headers) {
    if (!is_safe_header(name) || !is_safe_header(value)) continue;
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  head += "\r\n";
  // Asio's TLS stream seals one buffer per record (Beast's coalesced them): over TLS, head and
  // body go as one buffer, one record.
  if (origin->tls) head += call.body;
  const std::array<asio::const_buffer, 2> request{
      asio::buffer(head), asio::buffer(call.body.data(), origin->tls ? 0 : call.body.size())};

  const auto first_byte_deadline = Clock::now() + first_byte_timeout;
  for (int attempt = 0;; ++attempt) {
    auto state = std::make_unique<Stream::State>();
    state->pool = pool_.get();
    state->origin = origin;
    state->piece_timeout = call.timeout;
    // The resend after a stale connection goes on a fresh one: the others idle in the pool
    // were likely closed by the server too (its keep-alive timeout ended them all).
    if (attempt == 0)
      state->connection = pool_->take(call.client_destination ? origin->client_key : origin->key);
    if (!state->connection) {
      auto fresh = co_await connect(io_, tls_, *pool_, *origin, call.client_destination,
                                    first_byte_deadline);
      if (!fresh) co_return fresh.error();
      state->connection = std::move(*fresh);
    }
    Connection& connection = *state->connection;
    abort.set_action([&connection] { connection.close(); });
    state->abort = &abort;
    if (abort.aborted()) co_return transport_error({}, true, false, *origin);
    connection.deadline.expires_at(first_byte_deadline);

    auto [write_ec, written] = co_await connection.with_stream(
        [&](auto& stream) { return asio::async_write(stream, request, kUseTuple); });
    beast::error_code ec = write_ec;
    bool received_any = false;
    bool malformed = false;
    while (!ec) {
      std::size_t head_bytes = 0;
      const auto parsed =
          net::http1::parse_response_head(connection.buffer.pending(), state->head, head_bytes);
      if (parsed == net::http1::ParseResult::done) {
        connection.buffer.consume(head_bytes);
        if (state->head.status >= 200) break;
        continue;  // an interim answer (100 Continue): the final one follows
      }
      if (parsed == net::http1::ParseResult::malformed) {
        malformed = true;
        break;
      }
      if (!received_any && connection.buffer.empty()) {
        if (auto* plain = std::get_if<Connection::Plain>(&connection.stream)) {
          // Wait for the answer before taking a read buffer: a call held by a slow upstream
          // holds none. (TLS may have bytes buffered inside: it reads at once.)
          auto [wait_ec] = co_await plain->async_wait(tcp::socket::wait_read, kUseTuple);
          ec = wait_ec;
          if (ec) break;
        }
      }
      auto [read_ec, read] = co_await connection.read_more();
      ec = read_ec;
      if (ec) break;
      if (read == 0) {  // a head larger than the limit
        malformed = true;
        break;
      }
      connection.buffer.commit(read);
      received_any = true;
    }
    if (ec || malformed) {
      abort.set_action(nullptr);
      state->abort = nullptr;
      const bool retry = connection.reused && attempt == 0 && !received_any &&
                         is_stale_connection_error(ec) && !abort.aborted();
      connection.close();
      if (retry) continue;
      if (malformed) co_return malformed_answer(*origin);
      co_return transport_error(ec, abort.aborted(), connection.timed_out(), *origin);
    }
    if (state->head.status >= 300 && state->head.status < 400) {
      // Following would send the request, and its credentials, where the upstream says; relaying
      // would send the client there. The connection, its body unread, is not reused.
      abort.set_action(nullptr);
      connection.close();
      co_return Error{.kind = ErrorKind::upstream_failed,
                      .message = "The upstream " + origin->key + " answered with a redirect (" +
                                 std::to_string(state->head.status) +
                                 "), which llmux does not follow."};
    }
    co_return std::unique_ptr<Stream>(new Stream(std::move(state)));
  }
}

asio::awaitable<Result<Response>> Client::send(Call call, AbortHandle& abort) {
  co_return co_await send_kept(call, abort);
}

asio::awaitable<Result<Response>> Client::send_kept(const Call& call, AbortHandle& abort) {
  const auto deadline = Clock::now() + call.timeout;
  auto stream = co_await open_pooled(call, std::min(call.first_byte_timeout, call.timeout), abort);
  if (!stream) co_return stream.error();
  (*stream)->state_->whole_call_deadline = true;
  if ((*stream)->state_->connection) (*stream)->state_->connection->deadline.expires_at(deadline);
  auto body = co_await (*stream)->read_all(call.max_answer_bytes);
  if (!body) co_return body.error();
  co_return Response{.status = (*stream)->status(),
                     .body = std::move(*body),
                     .retry_after = (*stream)->retry_after(),
                     .remaining = (*stream)->remaining_limits()};
}

std::unique_ptr<asio::ssl::context> make_tls_context(bool load_system_roots) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  if (load_system_roots) context->set_default_verify_paths();
  context->set_verify_mode(asio::ssl::verify_peer);
  return context;
}

}  // namespace llmux::upstream
