#include "handlers/gateway.hpp"

#include "api/error_body.hpp"
#include "handlers/admin_request.hpp"

namespace llmux::handlers {

namespace {

std::string error_body(unsigned status, std::string_view message) {
  return api::error_body(Error{.kind = kind_from_status(static_cast<int>(status)),
                               .message = std::string(message),
                               .status = static_cast<int>(status)});
}

}  // namespace

Gateway::Gateway(const SharedState& shared, upstream::Transport& network, telemetry::LogBuffer& log,
                 telemetry::WorkerMetrics& metrics, store::SpendSink* spend_sink)
    : shared_(shared),
      callers_(shared.authenticator),
      spend_(spend_sink, shared.store_prompts_in_spend_logs),
      services_{.models = shared.models,
                .rate_counters = shared.rate_counters,
                .spend = spend_,
                .log = log,
                .metrics = metrics},
      transport_(network),
      routes_(&error_body),
      status_(shared.models, shared.metrics, shared.version, shared.store != nullptr),
      model_routes_(shared.models, callers_, shared.started_at),
      model_calls_(shared.router, callers_, services_, transport_,
                   {.max_answer_bytes = shared.max_upstream_response_bytes,
                    .max_event_bytes = shared.max_upstream_event_bytes}) {
  model_calls_.add_to(routes_);
  status_.add_to(routes_);
  model_routes_.add_to(routes_);
  const auto admin = [this](server::Exchange& exchange, std::string_view) {
    return management(exchange, server::Routes::route_path(exchange.path()));
  };
  using verb = server::http::verb;
  const std::initializer_list<verb> any = {verb::get, verb::post, verb::put, verb::patch,
                                           verb::delete_};
  for (const char* pattern : {"/key/{path}", "/team/{path}", "/user/{path}", "/customer/{path}",
                              "/spend/{path}", "/global/spend", "/global/spend/{path}"}) {
    routes_.add(any, pattern, admin);
  }
}

asio::awaitable<void> Gateway::management(server::Exchange& exchange, std::string_view path) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  if (!shared_.store) {
    co_return co_await fail(
        exchange, make_error(ErrorKind::unavailable,
                             "No connected db: keys and spend need general_settings.master_key "
                             "(the database is llmux.db beside the config, or database_url)."));
  }
  if (path.starts_with("/key/")) co_return co_await key_route(exchange, path, *caller);
  if (!caller->admin) co_return co_await fail(exchange, admin_only(path));
  if (path.starts_with("/team/")) co_return co_await team_route(exchange, path);
  if (path.starts_with("/user/") || path.starts_with("/customer/"))
    co_return co_await user_route(exchange, path);
  co_await spend_route(exchange, path);
}

asio::awaitable<void> Gateway::fail(server::Exchange& exchange, const Error& error) {
  if (error.retry_after)
    exchange.set_header("retry-after", std::to_string(error.retry_after->count()));
  co_await exchange.respond(static_cast<unsigned>(http_status(error)), api::error_body(error));
}

}  // namespace llmux::handlers
