#include "handlers/model_routes.hpp"

#include "api/error_body.hpp"
#include "net/percent_encoding.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace llmux::handlers {

namespace json = boost::json;
using verb = server::http::verb;

namespace {

asio::awaitable<void> fail(server::Exchange& exchange, const Error& error) {
  co_await exchange.respond(static_cast<unsigned>(http_status(error)), api::error_body(error));
}

}  // namespace

void ModelRoutes::add_to(server::Routes& routes) {
  routes.add({verb::get}, "/models",
             [this](server::Exchange& exchange, std::string_view) { return list(exchange); });
  routes.add({verb::get}, "/models/{id}", [this](server::Exchange& exchange, std::string_view id) {
    // Model ids may contain '/' and ':', which SDKs send percent-encoded in the path.
    return get(exchange, net::percent_decoded(id));
  });
}

// A virtual key sees the models it may call (its own list, its team's and its user's).
bool ModelRoutes::may_call(const auth::Caller& caller, std::string_view model) const {
  if (!caller.key) return true;
  const auto* group = models_.group(model);
  const std::string_view provider =
      group && !group->empty() ? std::string_view(group->front().target.provider) : "";
  return auth::check_model_access(*caller.key, model, provider).has_value();
}

asio::awaitable<void> ModelRoutes::list(server::Exchange& exchange) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  json::array data;
  for (const auto& name : models_.model_names()) {
    if (!may_call(*caller, name)) continue;
    data.push_back(json::object{
        {"id", name}, {"object", "model"}, {"created", started_at_}, {"owned_by", "openai"}});
  }
  // Bodies are built before co_await: GCC 12 rejects string literals in braced initialisers
  // inside a co_await expression.
  std::string body = json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
  co_await exchange.respond(200, std::move(body));
}

asio::awaitable<void> ModelRoutes::get(server::Exchange& exchange, std::string id) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  // A model the key may not call is answered as one that does not exist: it reveals nothing.
  if (!models_.group(id) || !may_call(*caller, id)) {
    co_return co_await fail(
        exchange,
        make_error(ErrorKind::model_not_found, "The model `" + id + "` does not exist.", "model"));
  }
  std::string body = json::serialize(json::object{
      {"id", id}, {"object", "model"}, {"created", started_at_}, {"owned_by", "openai"}});
  co_await exchange.respond(200, std::move(body));
}

}  // namespace llmux::handlers
