// Who is calling, from the key the request presents (in whichever header it came): the master
// key, a virtual key of this worker's snapshot, the admin page's session (as the master key), or
// a refusal. One per worker.
#pragma once

#include "auth/authenticator.hpp"
#include "auth/ui_sessions.hpp"
#include "server/exchange.hpp"

#include <string_view>

namespace llmux::handlers {

namespace asio = boost::asio;

std::string_view presented_key(const server::Exchange& exchange);

class Callers {
 public:
  // sessions: the admin page's logins, nullptr when the page is not served.
  explicit Callers(const auth::Authenticator& authenticator,
                   const auth::UiSessions* sessions = nullptr)
      : authenticator_(authenticator), sessions_(sessions), key_reader_(authenticator.keys()) {}
  Result<auth::Caller> identify(const server::Exchange& exchange,
                                auth::Purpose purpose = auth::Purpose::model_call);

 private:
  // A request of the admin page: no key, a live session cookie, and the page's header.
  bool from_ui_session(const server::Exchange& exchange) const;

  const auth::Authenticator& authenticator_;
  const auth::UiSessions* sessions_;
  auth::KeyReader key_reader_;
};

}  // namespace llmux::handlers
