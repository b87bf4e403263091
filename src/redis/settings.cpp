#include "redis/settings.hpp"

namespace llmux::redis {

namespace {

std::chrono::milliseconds milliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

}  // namespace

Result<Options> options_from(const config::RedisSettings& settings) {
  Options options;
  if (settings.socket_timeout_s) options.command_timeout = milliseconds(*settings.socket_timeout_s);
  if (settings.socket_connect_timeout_s)
    options.connect_timeout = milliseconds(*settings.socket_connect_timeout_s);
  if (!settings.url.empty()) return parse_url(settings.url, std::move(options));
  options.host = settings.host;
  if (settings.port) options.port = static_cast<std::uint16_t>(*settings.port);
  options.username = settings.username;
  options.password = settings.password;
  if (settings.db) options.database = *settings.db;
  options.tls = settings.ssl.value_or(false);
  options.verify_certificate = settings.ssl_cert_reqs != "none";
  options.ca_file = settings.ssl_ca_certs;
  return options;
}

}  // namespace llmux::redis
