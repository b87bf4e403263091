// The ingress dialects' routes: Anthropic's Messages API (/messages, /messages/count_tokens) and
// OpenAI's Responses API (/responses). A call goes the way of every model call
// (ModelCalls::handle), sent as a chat completion and answered in the client's dialect
// (handlers/dialects); count_tokens is answered by the gateway's estimate, no upstream asked.
#pragma once

#include "handlers/callers.hpp"
#include "handlers/model_calls.hpp"
#include "server/routes.hpp"

namespace llmux::handlers {

namespace asio = boost::asio;

class DialectRoutes {
 public:
  DialectRoutes(ModelCalls& calls, Callers& callers) : calls_(calls), callers_(callers) {}

  void add_to(server::Routes& routes);

 private:
  asio::awaitable<void> messages(server::Exchange& exchange);
  asio::awaitable<void> count_tokens(server::Exchange& exchange);
  asio::awaitable<void> responses(server::Exchange& exchange);

  ModelCalls& calls_;
  Callers& callers_;
};

}  // namespace llmux::handlers
