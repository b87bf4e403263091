#include "handlers/dialect_routes.hpp"

namespace llmux::handlers {

using verb = server::http::verb;

void DialectRoutes::add_to(server::Routes& routes) {
  routes.add({verb::post}, api::endpoint_path(api::Endpoint::messages),
             [this](server::Exchange& exchange, std::string_view) { return messages(exchange); });
  routes.add(
      {verb::post}, api::endpoint_path(api::Endpoint::count_tokens),
      [this](server::Exchange& exchange, std::string_view) { return count_tokens(exchange); });
  routes.add({verb::post}, api::endpoint_path(api::Endpoint::responses),
             [this](server::Exchange& exchange, std::string_view) { return responses(exchange); });
}

asio::awaitable<void> DialectRoutes::messages(server::Exchange& exchange) {
  MessagesDialect dialect;
  co_await calls_.handle(exchange, api::Endpoint::messages, {}, dialect);
}

asio::awaitable<void> DialectRoutes::responses(server::Exchange& exchange) {
  ResponsesDialect dialect;
  co_await calls_.handle(exchange, api::Endpoint::responses, {}, dialect);
}

asio::awaitable<void> DialectRoutes::count_tokens(server::Exchange& exchange) {
  auto count = [&]() -> Result<std::string> {
    if (auto caller = callers_.identify(exchange); !caller) return caller.error();
    auto request = api::parse_request(api::Endpoint::count_tokens, exchange.request().body());
    if (!request) return request.error();
    return api::estimated_token_count(request->body);
  }();
  if (!count) {
    co_return co_await exchange.respond(
        static_cast<unsigned>(api::messages_error_status(count.error())),
        api::messages_error_body(count.error()));
  }
  co_await exchange.respond(200, std::move(*count));
}

}  // namespace llmux::handlers
