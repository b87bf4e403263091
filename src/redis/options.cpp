#include "redis/options.hpp"

#include <boost/url/parse.hpp>

#include <charconv>

namespace llmux::redis {

namespace {

Error url_error(std::string_view what) {
  return make_error(ErrorKind::invalid_request, "redis_url " + std::string(what) + ".",
                    "redis_url");
}

bool parse_number(std::string_view text, std::int64_t& number) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool parse_database(std::string_view text, std::int64_t& database) {
  return parse_number(text, database) && database >= 0;
}

}  // namespace

Result<Options> parse_url(std::string_view url, Options defaults) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return url_error("is not a valid URL");
  Options options = std::move(defaults);
  if (parsed->scheme() == "rediss") {
    options.tls = true;
  } else if (parsed->scheme() == "redis") {
    options.tls = false;
  } else {
    return url_error("must start with redis:// or rediss://");
  }
  if (!parsed->host_address().empty()) options.host = parsed->host_address();
  if (parsed->has_port()) {
    std::int64_t port = 0;
    if (!parse_number(parsed->port(), port) || port < 1 || port > 65535) {
      return url_error("has a port that is not a number from 1 to 65535");
    }
    options.port = static_cast<std::uint16_t>(port);
  }
  if (parsed->has_userinfo()) {
    options.username = parsed->user();
    if (parsed->has_password()) options.password = parsed->password();
  }
  const std::string path = parsed->path();
  if (path.size() > 1 && !parse_database(std::string_view(path).substr(1), options.database)) {
    return url_error("has a database that is not a number");
  }
  for (const auto param : parsed->params()) {
    if (param.key == "db") {
      if (!parse_database(param.value, options.database))
        return url_error("has a db that is not a number");
    } else if (param.key == "ssl_cert_reqs") {
      if (param.value != "none" && param.value != "optional" && param.value != "required") {
        return url_error("has an ssl_cert_reqs that is not none, optional or required");
      }
      options.verify_certificate = param.value != "none";
    } else if (param.key == "ssl_ca_certs") {
      options.ca_file = param.value;
    }
  }
  return options;
}

std::string endpoint_text(const Options& options) {
  const bool ipv6 = options.host.find(':') != std::string::npos;
  std::string text = options.tls ? "rediss://" : "redis://";
  text += ipv6 ? "[" + options.host + "]" : options.host;
  text += ':';
  text += std::to_string(options.port);
  if (options.database != 0) text += "/" + std::to_string(options.database);
  return text;
}

}  // namespace llmux::redis
