#include "handlers/ui_routes.hpp"

#include "api/error_body.hpp"
#include "handlers/ui_assets.hpp"
#include "net/http1.hpp"
#include "store/store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace llmux::handlers {

namespace json = boost::json;
using verb = server::http::verb;

namespace {

// Every answer of /ui: no inline script or style, nothing from elsewhere, never framed.
void add_security_headers(server::Exchange& exchange) {
  exchange.set_header("content-security-policy",
                      "default-src 'none'; script-src 'self'; style-src 'self'; "
                      "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                      "form-action 'none'; frame-ancestors 'none'");
  exchange.set_header("x-frame-options", "DENY");
  exchange.set_header("referrer-policy", "no-referrer");
  exchange.set_header("x-content-type-options", "nosniff");
  exchange.set_header("cross-origin-opener-policy", "same-origin");
  exchange.set_header("cache-control", "no-store");
}

asio::awaitable<void> refuse(server::Exchange& exchange, const Error& error) {
  co_await exchange.respond(static_cast<unsigned>(http_status(error)), api::error_body(error));
}

// Secure when the listener speaks TLS, or a proxy in front says the client used HTTPS: the browser
// then never sends the session over plain HTTP.
std::string session_cookie(std::string_view token, store::Millis max_age_ms, bool secure) {
  return std::string(auth::kUiSessionCookie) + "=" + std::string(token) +
         "; Path=/; Max-Age=" + std::to_string(max_age_ms / 1000) + "; HttpOnly; SameSite=Strict" +
         (secure ? "; Secure" : "");
}

const UiAsset* find_asset(std::string_view name) {
  const auto found = std::find_if(kUiAssets.begin(), kUiAssets.end(),
                                  [name](const UiAsset& asset) { return asset.name == name; });
  return found == kUiAssets.end() ? nullptr : &*found;
}

}  // namespace

void UiRoutes::add_to(server::Routes& routes) {
  routes.add({verb::get}, "/ui", [this](server::Exchange& exchange, std::string_view) {
    return asset(exchange, "index.html");
  });
  routes.add({verb::get}, "/ui/session",
             [this](server::Exchange& exchange, std::string_view) { return session(exchange); });
  routes.add({verb::post}, "/ui/login",
             [this](server::Exchange& exchange, std::string_view) { return login(exchange); });
  routes.add({verb::post}, "/ui/logout",
             [this](server::Exchange& exchange, std::string_view) { return logout(exchange); });
  routes.add({verb::get}, "/ui/{file}", [this](server::Exchange& exchange, std::string_view file) {
    return asset(exchange, file);
  });
}

bool UiRoutes::over_https(const server::Exchange& exchange) const {
  return secure_cookie_ || net::http1::iequals(exchange.header("x-forwarded-proto"), "https");
}

std::string_view UiRoutes::session_token(const server::Exchange& exchange) {
  return auth::cookie_value(exchange.header("cookie"), auth::kUiSessionCookie);
}

asio::awaitable<void> UiRoutes::asset(server::Exchange& exchange, std::string_view name) {
  add_security_headers(exchange);
  const UiAsset* found = find_asset(name);
  if (found == nullptr) {
    co_return co_await refuse(exchange,
                              make_error(ErrorKind::not_found, "No such file of the admin page."));
  }
  co_await exchange.respond(200, std::string(found->body), found->content_type);
}

// What the page needs before it shows anything: whether it must log in first.
asio::awaitable<void> UiRoutes::session(server::Exchange& exchange) {
  add_security_headers(exchange);
  const bool open = authenticator_.is_open();
  json::object body{
      {"open", open},
      {"logged_in", open || sessions_.valid(session_token(exchange), store::now_millis())},
      {"database", has_database_}};
  co_await exchange.respond(200, json::serialize(body));
}

// {"username", "password"} → a session cookie. Only the page's own requests (its header) count:
// another site cannot log a browser in to a session of its choosing.
asio::awaitable<void> UiRoutes::login(server::Exchange& exchange) {
  add_security_headers(exchange);
  if (exchange.header(auth::kUiRequestHeader).empty()) {
    co_return co_await refuse(
        exchange, make_error(ErrorKind::forbidden, "Log in from the admin page (/ui)."));
  }
  boost::system::error_code ec;
  const json::value body = json::parse(exchange.request().body(), ec);
  const json::object* fields = ec ? nullptr : body.if_object();
  auto text = [fields](std::string_view name) -> std::string_view {
    const json::value* value = fields ? fields->if_contains(name) : nullptr;
    return value && value->is_string() ? std::string_view(value->get_string()) : "";
  };
  if (fields == nullptr) {
    co_return co_await refuse(
        exchange, make_error(ErrorKind::invalid_request,
                             "The login is a JSON object: {\"username\", \"password\"}."));
  }
  const store::Millis now = store::now_millis();
  const std::string client = exchange.client_address();
  if (const store::Millis wait = sessions_.login_refused_for(client, now); wait > 0) {
    exchange.set_header("retry-after", std::to_string((wait + 999) / 1000));
    co_return co_await refuse(
        exchange, make_error(ErrorKind::rate_limited,
                             "Too many failed logins this minute: try again in a minute."));
  }
  if (!sessions_.accepts_login(text("username"), text("password"))) {
    sessions_.login_failed(client, now);
    co_return co_await refuse(exchange, make_error(ErrorKind::unauthenticated,
                                                   "Wrong master key, or username and password."));
  }
  const std::string token = sessions_.open(now);
  exchange.set_header("set-cookie",
                      session_cookie(token, sessions_.lifetime_ms(), over_https(exchange)));
  co_await exchange.respond(200, R"({"logged_in":true})");
}

asio::awaitable<void> UiRoutes::logout(server::Exchange& exchange) {
  add_security_headers(exchange);
  if (exchange.header(auth::kUiRequestHeader).empty()) {
    co_return co_await refuse(
        exchange, make_error(ErrorKind::forbidden, "Log out from the admin page (/ui)."));
  }
  sessions_.close(session_token(exchange));
  exchange.set_header("set-cookie", session_cookie("", 0, over_https(exchange)));
  co_await exchange.respond(200, R"({"logged_in":false})");
}

}  // namespace llmux::handlers
