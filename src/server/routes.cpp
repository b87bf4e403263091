#include "server/routes.hpp"

#include <algorithm>

namespace llmux::server {

bool Routes::Route::takes(http::verb method) const {
  if (method == http::verb::head) method = http::verb::get;
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

void Routes::add(std::initializer_list<http::verb> methods, std::string_view pattern,
                 RouteHandler handler) {
  Route route{.methods = methods, .handler = std::move(handler)};
  const auto open = pattern.find('{');
  if (open == std::string_view::npos) {
    exact_.emplace(std::string(pattern), std::move(route));
    return;
  }
  const auto close = pattern.find('}', open);
  patterns_.push_back({.prefix = std::string(pattern.substr(0, open)),
                       .suffix = std::string(pattern.substr(close + 1)),
                       .route = std::move(route)});
}

std::string_view Routes::route_path(std::string_view path) {
  path = path.substr(0, path.find('?'));
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path.starts_with("/v1/") || path == "/v1") path.remove_prefix(3);
  return path;
}

asio::awaitable<void> Routes::refuse(Exchange& exchange, unsigned status,
                                     std::string message) const {
  co_await exchange.respond(status, error_body_(status, message));
}

Routes::Match Routes::find(http::verb method, std::string_view path) const {
  if (const auto found = exact_.find(path); found != exact_.end()) {
    if (found->second.takes(method)) return {.handler = &found->second.handler};
    return {.status = 405};
  }
  bool matched = false;
  for (const Pattern& pattern : patterns_) {
    if (!path.starts_with(pattern.prefix) || path.size() == pattern.prefix.size()) continue;
    std::string_view param = path.substr(pattern.prefix.size());
    if (!pattern.suffix.empty()) {
      const auto slash = param.find('/');
      if (slash == std::string_view::npos || slash == 0 || param.substr(slash) != pattern.suffix)
        continue;
      param = param.substr(0, slash);
    }
    if (pattern.route.takes(method)) return {.handler = &pattern.route.handler, .param = param};
    matched = true;
  }
  return {.status = matched ? 405u : 404u};
}

// Not a coroutine: a route's handler runs in its own frame alone, without one of this dispatcher
// held around it for the whole call.
asio::awaitable<void> Routes::handle(Exchange& exchange) {
  const std::string_view path = route_path(exchange.path());
  const Match match = find(exchange.request().method(), path);
  if (match.handler) return (*match.handler)(exchange, match.param);
  if (match.status == 405) return refuse(exchange, 405, "Method not allowed on this route.");
  return refuse(exchange, 404, "Unknown route: " + std::string(path));
}

}  // namespace llmux::server
