#include "admin/management.hpp"

#include "api/error_body.hpp"

namespace llmux::admin {

void Management::add(server::Routes& routes, server::http::verb method, std::string_view path,
                     Access access, Handler handler) {
  routes.add({method}, path,
             [this, route = std::string(path), access, handler = std::move(handler)](
                 server::Exchange& exchange, std::string_view param) {
               return serve(exchange, route, access, param, handler);
             });
}

asio::awaitable<void> Management::serve(server::Exchange& exchange, std::string_view route,
                                        Access access, std::string_view param,
                                        const Handler& handler) {
  auto caller = identify_(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  if (!service_) {
    co_return co_await fail(
        exchange, make_error(ErrorKind::unavailable,
                             "No connected db: keys and spend need general_settings.master_key "
                             "(the database is llmux.db beside the config, or database_url)."));
  }
  if (access == Access::admin && !caller->admin)
    co_return co_await fail(exchange, admin_only(route));
  Admitted admitted{.exchange = exchange, .caller = *caller, .param = param};
  co_await handler(admitted);
}

asio::awaitable<void> fail(server::Exchange& exchange, const Error& error) {
  if (error.retry_after)
    exchange.set_header("retry-after", std::to_string(error.retry_after->count()));
  co_await exchange.respond(static_cast<unsigned>(http_status(error)), api::error_body(error));
}

}  // namespace llmux::admin
