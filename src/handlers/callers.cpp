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

Result<auth::Caller> Callers::identify(const server::Exchange& exchange) {
  return authenticator_.authenticate(presented_key(exchange), &key_reader_, store::now_millis());
}

}  // namespace llmux::handlers
