// The ingress dialects' routes: Anthropic's Messages API (/messages, /messages/count_tokens) and
// OpenAI's Responses API (/responses). A call goes the way of every model call
// (ModelCalls::handle), sent as a chat completion and answered in the client's dialect
// (handlers/dialects); count_tokens is answered by the gateway's estimate, no upstream asked.
// A stored response is read (/responses/{id}, /responses/{id}/input_items) and deleted by the
// key that made it (handlers/stored_responses).
#pragma once

#include "handlers/callers.hpp"
#include "handlers/model_calls.hpp"
#include "handlers/stored_responses.hpp"
#include "server/routes.hpp"

namespace llmux::handlers {

namespace asio = boost::asio;

class DialectRoutes {
 public:
  DialectRoutes(ModelCalls& calls, Callers& callers, StoredResponses& stored)
      : calls_(calls), callers_(callers), stored_(stored) {}

  void add_to(server::Routes& routes);

 private:
  asio::awaitable<void> messages(server::Exchange& exchange);
  asio::awaitable<void> count_tokens(server::Exchange& exchange);
  asio::awaitable<void> responses(server::Exchange& exchange);
  asio::awaitable<void> stored_response(server::Exchange& exchange, std::string id);
  asio::awaitable<void> delete_response(server::Exchange& exchange, std::string id);
  asio::awaitable<void> input_items(server::Exchange& exchange, std::string id);

  ModelCalls& calls_;
  Callers& callers_;
  StoredResponses& stored_;
};

}  // namespace llmux::handlers
