#include "handlers/dialect_routes.hpp"

#include "admin/fields.hpp"
#include "api/error_body.hpp"
#include "net/percent_encoding.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace llmux::handlers {

namespace json = boost::json;
using verb = server::http::verb;

namespace {

asio::awaitable<void> fail(server::Exchange& exchange, const Error& error) {
  co_await exchange.respond(static_cast<unsigned>(http_status(error)), api::error_body(error));
}

// The items of a stored conversation one page at a time, as OpenAI lists them: `order` desc
// (newest first, the default) or asc, `after` an item id, `limit` 1-100 (20).
Result<std::string> input_items_page(const store::StoredResponse& stored, std::string_view target) {
  auto query = admin::FieldReader::from_query(target);
  const std::int64_t limit = query.integer("limit").value_or(20);
  const std::string order = query.text("order").value_or("desc");
  const std::string after = query.text("after").value_or("");
  if (query.error()) return *query.error();
  if (limit < 1 || limit > 100)
    return make_error(ErrorKind::invalid_request, "Invalid 'limit': expected 1 to 100.", "limit");
  if (order != "asc" && order != "desc")
    return make_error(ErrorKind::invalid_request, "Invalid 'order': expected asc or desc.",
                      "order");
  json::error_code ec;
  json::value items = json::parse(stored.input_items, ec);
  if (ec || !items.is_array())
    return make_error(ErrorKind::internal, "A stored response could not be read.");
  json::array all = std::move(items.get_array());
  if (order == "desc") std::reverse(all.begin(), all.end());
  auto first = all.begin();
  if (!after.empty()) {
    first = std::find_if(all.begin(), all.end(), [&](const json::value& item) {
      const auto* id = item.is_object() ? item.get_object().if_contains("id") : nullptr;
      return id && id->is_string() && id->get_string() == after;
    });
    if (first != all.end()) ++first;
  }
  json::array page;
  for (auto it = first; it != all.end() && static_cast<std::int64_t>(page.size()) < limit; ++it)
    page.push_back(*it);
  const bool more = static_cast<std::int64_t>(all.end() - first) > limit;
  const auto id_of = [](const json::value& item) -> json::value {
    const auto* id = item.is_object() ? item.get_object().if_contains("id") : nullptr;
    return id ? *id : json::value(nullptr);
  };
  json::object list{{"object", "list"},
                    {"first_id", page.empty() ? json::value(nullptr) : id_of(page.front())},
                    {"last_id", page.empty() ? json::value(nullptr) : id_of(page.back())},
                    {"has_more", more}};
  list["data"] = std::move(page);
  return json::serialize(list);
}

}  // namespace

void DialectRoutes::add_to(server::Routes& routes) {
  routes.add({verb::post}, api::endpoint_path(api::Endpoint::messages),
             [this](server::Exchange& exchange, std::string_view) { return messages(exchange); });
  routes.add(
      {verb::post}, api::endpoint_path(api::Endpoint::count_tokens),
      [this](server::Exchange& exchange, std::string_view) { return count_tokens(exchange); });
  routes.add({verb::post}, api::endpoint_path(api::Endpoint::responses),
             [this](server::Exchange& exchange, std::string_view) { return responses(exchange); });
  // Before /responses/{id}, which would take "{id}/input_items" as an id.
  routes.add({verb::get}, "/responses/{id}/input_items",
             [this](server::Exchange& exchange, std::string_view id) {
               return input_items(exchange, net::percent_decoded(id));
             });
  routes.add({verb::get}, "/responses/{id}",
             [this](server::Exchange& exchange, std::string_view id) {
               return stored_response(exchange, net::percent_decoded(id));
             });
  routes.add({verb::delete_}, "/responses/{id}",
             [this](server::Exchange& exchange, std::string_view id) {
               return delete_response(exchange, net::percent_decoded(id));
             });
}

asio::awaitable<void> DialectRoutes::messages(server::Exchange& exchange) {
  MessagesDialect dialect(
      {{"anthropic-beta", std::string(exchange.header("anthropic-beta"))},
       {"anthropic-version", std::string(exchange.header("anthropic-version"))}});
  co_await calls_.handle(exchange, api::Endpoint::messages, {}, dialect);
}

asio::awaitable<void> DialectRoutes::responses(server::Exchange& exchange) {
  ResponsesDialect dialect(stored_);
  co_await calls_.handle(exchange, api::Endpoint::responses, {}, dialect);
}

asio::awaitable<void> DialectRoutes::stored_response(server::Exchange& exchange, std::string id) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  auto found = co_await stored_.find(caller->token, std::move(id));
  if (!found) co_return co_await fail(exchange, found.error());
  co_await exchange.respond(200, std::move(found->response));
}

asio::awaitable<void> DialectRoutes::delete_response(server::Exchange& exchange, std::string id) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  auto removed = co_await stored_.remove(caller->token, id);
  if (!removed) co_return co_await fail(exchange, removed.error());
  const json::object deleted{{"id", id}, {"object", "response"}, {"deleted", true}};
  co_await exchange.respond(200, json::serialize(deleted));
}

asio::awaitable<void> DialectRoutes::input_items(server::Exchange& exchange, std::string id) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await fail(exchange, caller.error());
  auto found = co_await stored_.find(caller->token, std::move(id));
  if (!found) co_return co_await fail(exchange, found.error());
  auto page = input_items_page(*found, exchange.request().target());
  if (!page) co_return co_await fail(exchange, page.error());
  co_await exchange.respond(200, std::move(*page));
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
