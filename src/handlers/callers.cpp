#include "handlers/callers.hpp"

#include "store/store.hpp"

namespace llmux::handlers {

std::string_view presented_key(const server::Exchange& exchange) {
  return auth::presented_key({
      .authorization = exchange.header("authorization"),
      .api_key = exchange.header("api-key"),
      .x_api_key = exchange.header("x-api-key"),
      .x_goog_api_key = exchange.header("x-goog-api-key"),
      .x_litellm_api_key = exchange.header("x-litellm-api-key"),
  });
}

Result<auth::Caller> Callers::identify(const server::Exchange& exchange, auth::Purpose purpose) {
  const std::string_view key = presented_key(exchange);
  if (key.empty() && from_ui_session(exchange)) {
    return auth::Caller{.admin = true,
                        .snapshot = authenticator_.keys() ? key_reader_.current() : nullptr};
  }
  return authenticator_.authenticate(key, &key_reader_, store::now_millis(), purpose);
}

bool Callers::from_ui_session(const server::Exchange& exchange) const {
  if (sessions_ == nullptr || exchange.header(auth::kUiRequestHeader).empty()) return false;
  return sessions_->valid(auth::cookie_value(exchange.header("cookie"), auth::kUiSessionCookie),
                          store::now_millis());
}

}  // namespace llmux::handlers
