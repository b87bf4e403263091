// The model-call routes (/chat/completions, /completions, /embeddings, /moderations, /rerank, and
// Azure's /openai/deployments/{model}/…; the other dialects' routes call handle()): the life of a
// model request, top to bottom — identify the caller, parse the body once, admit the call (its
// record's first phase), plan its attempts, answer from the response cache when it has the
// answer, else relay them (storing the answer), settle and report. docs/ARCHITECTURE.md walks
// through it.
#pragma once

#include "api/request.hpp"
#include "cache/response_cache.hpp"
#include "handlers/call_record.hpp"
#include "handlers/callers.hpp"
#include "handlers/dialects.hpp"
#include "handlers/prompt_embedder.hpp"
#include "relay/relay.hpp"
#include "router/router.hpp"
#include "server/routes.hpp"

namespace llmux::handlers {

namespace asio = boost::asio;

class ModelCalls {
 public:
  // `cache`: this worker's response cache; nullptr when the config has none.
  ModelCalls(Callers& callers, const CallServices& services, upstream::Transport& transport,
             relay::AnswerLimits limits, cache::ResponseCache* cache)
      : callers_(callers),
        services_(services),
        relay_(transport, limits, services.shared_limits),
        cache_(cache) {
    if (cache_ && cache_->semantic())
      embedder_.emplace(services.router, relay_, cache_->settings().semantic.embedding_model);
  }

  void add_to(server::Routes& routes);
  // One call at `endpoint`, its request and answers in `dialect` (the OpenAI routes: the base).
  asio::awaitable<void> handle(server::Exchange& exchange, api::Endpoint endpoint,
                               std::string_view model_from_path, Dialect& dialect);

 private:
  // The call's answer is an error, before anything was sent.
  asio::awaitable<void> refuse(server::Exchange& exchange, CallRecord& record, Dialect& dialect,
                               const Error& error);
  // The response cache's step: true when the cache had the answer and the client has it, as a
  // whole answer or a stream, as it asked. Only the OpenAI routes are cached (an answer is stored
  // as the relay wrote it, before any dialect's translation).
  // `cached_inputs` (embeddings): each input's entry, when the others are to be sent upstream.
  asio::awaitable<bool> answer_from_cache(
      server::Exchange& exchange, CallRecord& record, const api::Request& request,
      const cache::Ticket& ticket, std::vector<std::shared_ptr<const cache::Entry>>& cached_inputs);
  // A semantic cache's step before the lookup: the ticket's prompt embedded. When that fails the
  // ticket keeps no vector, and the call goes upstream uncached.
  // The embedding is a call of its own, for the caller (a spend-log row, its cost to the key).
  asio::awaitable<void> embed_prompt(server::Exchange& exchange, const auth::Caller& caller,
                                     cache::Ticket& ticket);

  Callers& callers_;
  const CallServices& services_;
  relay::Relay relay_;
  cache::ResponseCache* cache_;
  std::optional<PromptEmbedder> embedder_;  // with a semantic cache
  Dialect openai_;                          // stateless: every OpenAI route's calls share it
};

}  // namespace llmux::handlers
