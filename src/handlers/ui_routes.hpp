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
  UiRoutes(auth::UiSessions& sessions, const auth::Authenticator& authenticator, bool has_database)
      : sessions_(sessions), authenticator_(authenticator), has_database_(has_database) {}

  void add_to(server::Routes& routes);

 private:
  asio::awaitable<void> asset(server::Exchange& exchange, std::string_view name);
  asio::awaitable<void> session(server::Exchange& exchange);
  asio::awaitable<void> login(server::Exchange& exchange);
  asio::awaitable<void> logout(server::Exchange& exchange);
  // The session cookie's token, as sent; empty without one.
  static std::string_view session_token(const server::Exchange& exchange);

  auth::UiSessions& sessions_;
  const auth::Authenticator& authenticator_;
  bool has_database_;
};

}  // namespace llmux::handlers
