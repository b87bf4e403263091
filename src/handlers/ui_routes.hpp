// The admin page at /ui (LiteLLM's path): its files, embedded in the binary, and its login. The
// page itself calls the admin API (/key/*, /team/*, /user/*, /spend/*, /v1/models) with the
// session cookie a login sets (handlers::Callers accepts it as the master key).
#pragma once

#include "auth/authenticator.hpp"
#include "auth/ui_sessions.hpp"
#include "server/routes.hpp"

namespace llmux::handlers {

namespace asio = boost::asio;

class UiRoutes {
 public:
  // secure_cookie: the listener speaks TLS, so the session cookie is marked Secure.
  UiRoutes(auth::UiSessions& sessions, const auth::Authenticator& authenticator, bool has_database,
           bool secure_cookie)
      : sessions_(sessions),
        authenticator_(authenticator),
        has_database_(has_database),
        secure_cookie_(secure_cookie) {}

  void add_to(server::Routes& routes);

 private:
  asio::awaitable<void> asset(server::Exchange& exchange, std::string_view name);
  asio::awaitable<void> session(server::Exchange& exchange);
  asio::awaitable<void> login(server::Exchange& exchange);
  asio::awaitable<void> logout(server::Exchange& exchange);
  // The client reached the page over HTTPS: through this listener's TLS, or a proxy's
  // (X-Forwarded-Proto).
  bool over_https(const server::Exchange& exchange) const;
  // The session cookie's token, as sent; empty without one.
  static std::string_view session_token(const server::Exchange& exchange);

  auth::UiSessions& sessions_;
  const auth::Authenticator& authenticator_;
  bool has_database_;
  bool secure_cookie_;
};

}  // namespace llmux::handlers
