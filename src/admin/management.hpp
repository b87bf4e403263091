// What the admin route families (keys, teams, users and end users, spend) share: the gate in
// front of each of their routes (who is calling, a database, the admin check), the store thread
// their work runs on, and the key cache their answers read live spend from. One per worker.
#pragma once

#include "admin/fields.hpp"
#include "admin/rules.hpp"
#include "auth/authenticator.hpp"
#include "auth/key_cache.hpp"
#include "server/routes.hpp"
#include "store/service.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

namespace llmux::admin {

namespace asio = boost::asio;

// A request the gate let through.
struct Admitted {
  server::Exchange& exchange;
  const auth::Caller& caller;
  std::string_view param;  // the path's parameter segment ("{key}"), as sent; empty for none
};

// Who may pass the gate: the master key only, or a virtual key too (the route decides what it
// may see).
enum class Access { admin, any_key };

// T, for the Result<Changed<T>> a change rule returns.
template <class R>
struct ChangeOf;
template <class T>
struct ChangeOf<Result<Changed<T>>> {
  using type = T;
};

class Management {
 public:
  // The worker's way to tell who is calling (handlers::Callers::identify).
  using Identify = std::function<Result<auth::Caller>(const server::Exchange&)>;
  using Handler = std::function<asio::awaitable<void>(Admitted request)>;

  // service: nullptr without a database (every admin route then answers 503); cache: the
  // virtual keys, nullptr without a database.
  Management(Identify identify, store::Service* service, const auth::KeyCache* cache)
      : identify_(std::move(identify)), service_(service), cache_(cache) {}

  // Registers `handler` for (method, path) behind the gate: a caller that is not known is 401,
  // no database 503, and a virtual key on an Access::admin route 401 (LiteLLM's admin_only).
  // On an Access::any_key route the handler decides what a virtual key may see.
  void add(server::Routes& routes, server::http::verb method, std::string_view path, Access access,
           Handler handler);

  // The shape of most admin routes, behind the gate: GET reads the query's fields and runs
  // `rule(store, query)` on the store thread; POST reads the JSON body and runs the change rule
  // `rule(store, body, now)`. The answer is 200 with `answer(value)` as JSON, or the error (a
  // malformed query or body is 400).
  template <class Rule, class Answer>
  void add_read(server::Routes& routes, std::string_view path, Rule rule, Answer answer) {
    add(routes, server::http::verb::get, path, Access::admin,
        [this, rule, answer](Admitted request) { return serve_read(request, rule, answer); });
  }
  // add_read for a route a virtual key may call too, to read what is its own:
  // `rule(store, query, caller)` decides what the caller may see.
  template <class Rule, class Answer>
  void add_own_read(server::Routes& routes, std::string_view path, Rule rule, Answer answer) {
    add(routes, server::http::verb::get, path, Access::any_key,
        [this, rule, answer](Admitted request) {
          auto read_as_caller = [rule, &caller = request.caller](store::Store& store,
                                                                 FieldReader& query) {
            return rule(store, query, caller);
          };
          return serve_read(request, std::move(read_as_caller), answer);
        });
  }
  template <class Rule, class Answer>
  void add_change(server::Routes& routes, std::string_view path, Rule rule, Answer answer) {
    add(routes, server::http::verb::post, path, Access::admin,
        [this, rule, answer](Admitted request) { return serve_change(request, rule, answer); });
  }
  // add_change's work, for a route that builds its rule from the request (a path parameter).
  template <class Rule, class Answer>
  asio::awaitable<void> serve_change(Admitted request, Rule rule, Answer answer);

  // The virtual keys, for the live spend answers show; nullptr without a database.
  const auth::KeyCache* cache() const { return cache_; }

  // Runs `work(store)` on the store thread (store::Service::run): reads.
  template <class Work>
  auto read(Work work) {
    return service_->run(std::move(work));
  }

  // Runs a change rule (store& → Result<Changed<T>>) on the store thread. When it succeeds, the
  // key cache is rebuilt there before the answer goes out, so the very next request sees it.
  template <class Rule>
  auto change(Rule rule) -> asio::awaitable<
      Result<typename ChangeOf<std::invoke_result_t<Rule&, store::Store&>>::type>> {
    using Value = typename ChangeOf<std::invoke_result_t<Rule&, store::Store&>>::type;
    // Named: GCC 12 miscompiles a temporary closure inside a co_await expression.
    auto work = [service = service_,
                 rule = std::move(rule)](store::Store& store) mutable -> Result<Value> {
      auto changed = rule(store);
      if (!changed) return changed.error();
      service->keys_changed(changed->spend_written);
      return std::move(changed->value);
    };
    co_return co_await service_->run(std::move(work));
  }

 private:
  template <class Rule, class Answer>
  asio::awaitable<void> serve_read(Admitted request, Rule rule, Answer answer);
  asio::awaitable<void> serve(server::Exchange& exchange, std::string_view route, Access access,
                              std::string_view param, const Handler& handler);

  Identify identify_;
  store::Service* service_;
  const auth::KeyCache* cache_;
};

// The answer to an expected failure: its status, and LiteLLM's error body.
asio::awaitable<void> fail(server::Exchange& exchange, const Error& error);

template <class Rule, class Answer>
asio::awaitable<void> Management::serve_read(Admitted request, Rule rule, Answer answer) {
  auto query = FieldReader::from_query(request.exchange.request().target());
  if (query.error()) co_return co_await fail(request.exchange, *query.error());
  // Named: GCC 12 miscompiles a temporary closure inside a co_await expression.
  auto work = [&](store::Store& store) { return rule(store, query); };
  auto found = co_await read(std::move(work));
  if (!found) co_return co_await fail(request.exchange, found.error());
  std::string body = boost::json::serialize(answer(*found));
  co_await request.exchange.respond(200, std::move(body));
}

template <class Rule, class Answer>
asio::awaitable<void> Management::serve_change(Admitted request, Rule rule, Answer answer) {
  auto body = FieldReader::from_body(request.exchange.request().body());
  if (body.error()) co_return co_await fail(request.exchange, *body.error());
  const store::Millis now = store::now_millis();
  auto work = [&](store::Store& store) { return rule(store, body, now); };
  auto changed = co_await change(std::move(work));
  if (!changed) co_return co_await fail(request.exchange, changed.error());
  std::string text = boost::json::serialize(answer(*changed));
  co_await request.exchange.respond(200, std::move(text));
}

}  // namespace llmux::admin
