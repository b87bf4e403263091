// Where Redis is and how to talk to it: LiteLLM's redis_host / redis_port / redis_password fields
// or a redis_url. The config layer fills these (and reads REDIS_* from the environment).
#pragma once

#include "base/error.hpp"
#include "redis/resp.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmux::redis {

struct Options {
  std::string host = "127.0.0.1";  // a name or an address
  std::uint16_t port = 6379;
  std::string username;       // a Redis 6 ACL user; empty: AUTH with the password alone
  std::string password;       // empty: no AUTH. Never written into an error or a log line.
  std::int64_t database = 0;  // SELECTed on each connection when not 0

  bool tls = false;  // rediss://
  // The server's certificate is checked against `ca_file` (PEM), or the system's roots when it is
  // empty, and must name `host`. Turned off only by an explicit `ssl_cert_reqs=none`.
  bool verify_certificate = true;
  std::string ca_file;

  // The dial, the TLS handshake and AUTH / SELECT together.
  std::chrono::milliseconds connect_timeout{2000};
  // A command without its reply by then fails, and so does its connection (see Client).
  std::chrono::milliseconds command_timeout{1000};
  // After a failed connection attempt, commands fail at once without dialing for backoff_min,
  // doubled after each further failure up to backoff_max.
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};

  ParserLimits limits;
};

// `redis://[[username]:password@]host[:port][/database]` or `rediss://…` (TLS), with redis-py's
// query parameters `ssl_cert_reqs=none|optional|required` (only none skips the certificate check;
// a client treats optional as required, as Python's ssl does), `ssl_ca_certs=<file>` and `db=<n>`;
// others are ignored. What the URL does not say keeps the
// value `defaults` has. An error names what is wrong but never repeats the URL (it may hold a
// password).
Result<Options> parse_url(std::string_view url, Options defaults = {});

// `redis://host:port/database` (or rediss://), never with credentials: for errors and logs.
std::string endpoint_text(const Options& options);

}  // namespace llmux::redis
