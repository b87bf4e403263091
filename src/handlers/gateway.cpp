#include "handlers/gateway.hpp"

#include "api/error_body.hpp"
#include "handlers/admin_request.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace llmux::handlers {

namespace json = boost::json;

namespace {

constexpr std::string_view kAzurePrefix = "/openai/deployments/";

std::optional<api::Endpoint> endpoint_for(std::string_view path) {
  if (path == "/chat/completions") return api::Endpoint::chat_completions;
  if (path == "/completions") return api::Endpoint::completions;
  if (path == "/embeddings") return api::Endpoint::embeddings;
  if (path == "/moderations") return api::Endpoint::moderations;
  if (path == "/rerank") return api::Endpoint::rerank;
  return std::nullopt;
}

bool is_get(const server::Exchange& exchange) {
  return exchange.request().method() == server::http::verb::get ||
         exchange.request().method() == server::http::verb::head;
}

bool is_post(const server::Exchange& exchange) {
  return exchange.request().method() == server::http::verb::post;
}

// Model ids may contain '/' and ':', which SDKs send percent-encoded in the path.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
        hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

struct ModelRoute {
  api::Endpoint endpoint;
  std::string_view model_from_path;  // Azure-style paths name the model
};

// Azure SDK clients name the deployment in the path: /openai/deployments/{model}/chat/completions.
// nullopt when the path names no endpoint served that way.
std::optional<ModelRoute> azure_route(std::string_view path) {
  const std::string_view rest = path.substr(kAzurePrefix.size());
  const auto slash = rest.find('/');
  const auto endpoint = slash == std::string_view::npos ? std::nullopt : endpoint_for(rest.substr(slash));
  if (!endpoint || endpoint == api::Endpoint::moderations || endpoint == api::Endpoint::rerank) return std::nullopt;
  return ModelRoute{*endpoint, rest.substr(0, slash)};
}

// A request's path without the query, a trailing slash or the "/v1" prefix.
std::string_view route_path(const server::Exchange& exchange) {
  std::string_view path = exchange.path();
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path.starts_with("/v1/") || path == "/v1") path.remove_prefix(3);
  return path;
}

// The model call a request asks for: a POST to a model route.
std::optional<ModelRoute> model_route(const server::Exchange& exchange, std::string_view path) {
  if (!is_post(exchange)) return std::nullopt;
  if (path.starts_with(kAzurePrefix)) return azure_route(path);
  if (const auto endpoint = endpoint_for(path)) return ModelRoute{*endpoint, {}};
  return std::nullopt;
}

Error method_not_allowed() {
  return Error{.kind = ErrorKind::invalid_request, .message = "Method not allowed on this route.", .status = 405};
}

}  // namespace

Gateway::Gateway(const SharedState& shared, upstream::Client& client, telemetry::LogBuffer& log,
                 telemetry::WorkerMetrics& metrics, store::SpendSink* spend_sink)
    : shared_(shared),
      client_(client),
      log_(log),
      metrics_(metrics),
      key_reader_(shared.authenticator.keys()),
      spend_(spend_sink, shared.store_prompts_in_spend_logs) {}

std::string Gateway::error_body(unsigned status, std::string_view message) const {
  return api::error_body(Error{.kind = kind_from_status(static_cast<int>(status)),
                               .message = std::string(message),
                               .status = static_cast<int>(status)});
}

std::string_view presented_key(const server::Exchange& exchange) {
  return auth::presented_key({
      .authorization = exchange.header("authorization"),
      .api_key = exchange.header("api-key"),
      .x_api_key = exchange.header("x-api-key"),
      .x_goog_api_key = exchange.header("x-goog-api-key"),
      .x_litellm_api_key = exchange.header("x-litellm-api-key"),
  });
}

Result<auth::Caller> Gateway::authenticate(const server::Exchange& exchange) {
  return shared_.authenticator.authenticate(presented_key(exchange), &key_reader_, store::now_millis());
}

asio::awaitable<void> Gateway::management(server::Exchange& exchange, std::string_view path) {
  auto caller = authenticate(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  if (!shared_.store) {
    co_return co_await fail(exchange, make_error(ErrorKind::unavailable,
                                                 "No connected db: keys and spend need general_settings.master_key "
                                                 "(the database is llmux.db beside the config, or database_url)."));
  }
  if (path.starts_with("/key/")) co_return co_await key_route(exchange, path, *caller);
  if (!caller->admin) co_return co_await fail(exchange, admin_only(path));
  if (path.starts_with("/team/")) co_return co_await team_route(exchange, path);
  if (path.starts_with("/user/") || path.starts_with("/customer/")) co_return co_await user_route(exchange, path);
  co_await spend_route(exchange, path);
}

asio::awaitable<void> Gateway::fail(server::Exchange& exchange, const Error& error) {
  if (error.retry_after) exchange.set_header("retry-after", std::to_string(error.retry_after->count()));
  co_await exchange.respond(static_cast<unsigned>(http_status(error)), api::error_body(error));
}

// Not a coroutine: a model call (the hot path) runs in model_call's frame alone, without a frame
// of this dispatcher held around it for the whole call.
asio::awaitable<void> Gateway::handle(server::Exchange& exchange) {
  const std::string_view path = route_path(exchange);
  if (const auto route = model_route(exchange, path)) return model_call(exchange, route->endpoint, route->model_from_path);
  return other_route(exchange, path);
}

asio::awaitable<void> Gateway::other_route(server::Exchange& exchange, std::string_view path) {
  // Model routes reach here only with the wrong method, or an Azure path that names no endpoint.
  if (path.starts_with(kAzurePrefix)) {
    if (!azure_route(path)) co_return co_await fail(exchange, make_error(ErrorKind::not_found, "Unknown route."));
    co_return co_await fail(exchange, method_not_allowed());
  }

  if (path == "/health" || path == "/health/liveliness" || path == "/health/liveness" ||
      path == "/health/readiness") {
    if (!is_get(exchange)) co_return co_await fail(exchange, method_not_allowed());
    if (path == "/health/liveliness" || path == "/health/liveness") {
      co_return co_await exchange.respond(200, "\"I'm alive!\"");
    }
    json::object body{{"status", "healthy"},
                      {"litellm_version", shared_.version},
                      {"models", shared_.models.model_names().size()},
                      {"deployments", shared_.models.deployment_count()}};
    if (path == "/health/readiness") body["db"] = shared_.store ? "connected" : "Not connected";
    co_return co_await exchange.respond(200, json::serialize(body));
  }

  if (path == "/metrics") {
    if (!is_get(exchange)) co_return co_await fail(exchange, method_not_allowed());
    co_return co_await exchange.respond(200, shared_.metrics.render(), "text/plain; version=0.0.4");
  }

  if (path == "/models" || path.starts_with("/models/")) {
    if (!is_get(exchange)) co_return co_await fail(exchange, method_not_allowed());
    auto caller = authenticate(exchange);
    if (!caller) co_return co_await fail(exchange, caller.error());
    if (path == "/models") co_return co_await list_models(exchange, *caller);
    co_return co_await get_model(exchange, *caller, percent_decode(path.substr(std::string_view("/models/").size())));
  }

  if (path.starts_with("/key/") || path.starts_with("/team/") || path.starts_with("/user/") ||
      path.starts_with("/customer/") || path.starts_with("/spend/") || path.starts_with("/global/spend")) {
    co_return co_await management(exchange, path);
  }

  if (endpoint_for(path)) co_return co_await fail(exchange, method_not_allowed());

  co_await fail(exchange, make_error(ErrorKind::not_found, "Unknown route: " + std::string(path)));
}

// A virtual key sees the models it may call (its own list, its team's and its user's).
bool Gateway::may_call(const auth::Caller& caller, std::string_view model) const {
  if (!caller.key) return true;
  const auto* group = shared_.models.group(model);
  const std::string_view provider = group && !group->empty() ? std::string_view(group->front().target.provider) : "";
  return auth::check_model_access(*caller.key, model, provider).has_value();
}

asio::awaitable<void> Gateway::list_models(server::Exchange& exchange, const auth::Caller& caller) {
  json::array data;
  for (const auto& name : shared_.models.model_names()) {
    if (!may_call(caller, name)) continue;
    data.push_back(json::object{{"id", name}, {"object", "model"}, {"created", shared_.started_at}, {"owned_by", "openai"}});
  }
  // Bodies are built before co_await: GCC 12 rejects string literals in braced initialisers
  // inside a co_await expression.
  std::string body = json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
  co_await exchange.respond(200, std::move(body));
}

asio::awaitable<void> Gateway::get_model(server::Exchange& exchange, const auth::Caller& caller, std::string_view id) {
  // A model the key may not call is answered as one that does not exist: it reveals nothing.
  if (!shared_.models.group(id) || !may_call(caller, id)) {
    co_return co_await fail(exchange, make_error(ErrorKind::model_not_found,
                                                       "The model `" + std::string(id) + "` does not exist.", "model"));
  }
  std::string body = json::serialize(
      json::object{{"id", id}, {"object", "model"}, {"created", shared_.started_at}, {"owned_by", "openai"}});
  co_await exchange.respond(200, std::move(body));
}

}  // namespace llmux::handlers
