// The gateway's routes as one table: (methods, path pattern) → handler. Paths are matched without
// the query, a trailing '/' or a leading "/v1" (every route answers with and without it). A
// pattern is an exact path ("/chat/completions"), or has one parameter segment written "{name}":
// in the middle ("/openai/deployments/{model}/chat/completions") it matches one segment, at the
// end ("/models/{id}") it matches the rest of the path, slashes included. A path no pattern
// matches is 404; one whose pattern does not take the method is 405.
#pragma once

#include "server/exchange.hpp"

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llmux::server {

// The request's parameter segment, as sent (not percent-decoded); empty for an exact path.
using RouteHandler =
    std::function<asio::awaitable<void>(Exchange& exchange, std::string_view param)>;
// The JSON body of an error the table answers itself (404, 405).
using ErrorBody = std::function<std::string(unsigned status, std::string_view message)>;

class Routes final : public Handler {
 public:
  explicit Routes(ErrorBody error_body) : error_body_(std::move(error_body)) {}

  // HEAD is served by a route that takes GET.
  void add(std::initializer_list<http::verb> methods, std::string_view pattern,
           RouteHandler handler);

  asio::awaitable<void> handle(Exchange& exchange) override;

  // What serves `method` on `path` (as route_path makes it): the route's handler and parameter,
  // or the status the table answers itself (404: no pattern matches the path; 405: one does, but
  // takes another method).
  struct Match {
    const RouteHandler* handler = nullptr;
    std::string_view param;
    unsigned status = 0;  // 404 or 405 when there is no handler
  };
  Match find(http::verb method, std::string_view path) const;
  std::string error_body(unsigned status, std::string_view message) const override {
    return error_body_(status, message);
  }

  // The path as routes see it: no query, no trailing '/', no leading "/v1".
  static std::string_view route_path(std::string_view path);

 private:
  struct Route {
    std::vector<http::verb> methods;
    RouteHandler handler;
    bool takes(http::verb method) const;
  };
  struct Pattern {
    std::string prefix;  // up to the parameter
    std::string suffix;  // after it; empty: the parameter is the rest of the path
    Route route;
  };
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const {
      return std::hash<std::string_view>{}(name);
    }
  };
  asio::awaitable<void> refuse(Exchange& exchange, unsigned status, std::string message) const;

  std::unordered_map<std::string, Route, NameHash, std::equal_to<>> exact_;
  std::vector<Pattern> patterns_;  // in the order added: the first that matches serves
  ErrorBody error_body_;
};

}  // namespace llmux::server
