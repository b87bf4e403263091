// The route table (server/routes) with the gateway's kinds of patterns: exact paths, a parameter
// in the middle (Azure's deployment routes, /key/{key}/regenerate) and a parameter to the end
// (/models/{id}). The input is a method byte and a request target. Checks: the path a route sees
// is part of the target without query or trailing '/'; a match is the path its pattern describes
// (prefix, parameter, suffix; a middle parameter is one segment) and takes the method; HEAD is
// served where GET is.
#include "server/routes.hpp"
#include "support.hpp"

#include <algorithm>
#include <iterator>
#include <string>

namespace {

namespace server = llmux::server;
namespace http = server::http;
using llmux::fuzz::check;

// A route's handler that says which pattern it was registered with (it is never called).
struct PatternHandler {
  std::string pattern;
  server::asio::awaitable<void> operator()(server::Exchange&, std::string_view) const { co_return; }
};

struct Entry {
  http::verb method;
  std::string_view pattern;
};

constexpr Entry kEntries[] = {
    {http::verb::post, "/chat/completions"},
    {http::verb::post, "/embeddings"},
    {http::verb::post, "/openai/deployments/{model}/chat/completions"},
    {http::verb::post, "/openai/deployments/{model}/embeddings"},
    {http::verb::get, "/models"},
    {http::verb::get, "/models/{id}"},
    {http::verb::get, "/health/liveliness"},
    {http::verb::get, "/key/info"},
    {http::verb::post, "/key/generate"},
    {http::verb::post, "/key/{key}/regenerate"},
};

const server::Routes& table() {
  static const server::Routes routes = [] {
    server::Routes built([](unsigned, std::string_view) { return std::string(); });
    for (const Entry& entry : kEntries)
      built.add({entry.method}, entry.pattern, PatternHandler{std::string(entry.pattern)});
    return built;
  }();
  return routes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr http::verb kMethods[] = {http::verb::get, http::verb::post, http::verb::head,
                                     http::verb::put, http::verb::delete_};
  const http::verb method = kMethods[data[0] % std::size(kMethods)];
  const std::string_view target = llmux::fuzz::as_text(data + 1, size - 1);

  const std::string_view path = server::Routes::route_path(target);
  check(llmux::fuzz::lies_within(path, target), "the route path is not part of the target");
  check(path.find('?') == std::string_view::npos, "a query left in the route path");
  check(path.size() <= 1 || !path.ends_with('/'), "a trailing '/' left in the route path");

  const server::Routes::Match match = table().find(method, path);
  if (!match.handler) {
    check(match.status == 404 || match.status == 405, "no handler and no 404 or 405");
    return 0;
  }
  const auto* handler = match.handler->target<PatternHandler>();
  check(handler != nullptr, "a handler that was not registered");
  const std::string_view pattern = handler->pattern;
  const auto entry = std::find_if(std::begin(kEntries), std::end(kEntries),
                                  [&](const Entry& e) { return e.pattern == pattern; });
  const http::verb served = method == http::verb::head ? http::verb::get : method;
  check(entry->method == served, "a route serves a method it does not take");
  const auto open = pattern.find('{');
  if (open == std::string_view::npos) {
    check(path == pattern && match.param.empty(), "an exact route matched another path");
    return 0;
  }
  const std::string_view prefix = pattern.substr(0, open);
  const std::string_view suffix = pattern.substr(pattern.find('}') + 1);
  check(!match.param.empty() && llmux::fuzz::lies_within(match.param, path), "parameter view");
  check(std::string(prefix) + std::string(match.param) + std::string(suffix) == path,
        "a pattern matched a path it does not describe");
  if (!suffix.empty())
    check(match.param.find('/') == std::string_view::npos, "a middle parameter of two segments");
  return 0;
}
