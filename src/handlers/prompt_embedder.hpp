// The semantic cache's embeddings (docs/CACHING.md): a prompt's vector from the model group that
// cache_params.redis_semantic_cache_embedding_model names, through the gateway's own router and
// relay, as any /embeddings call to that group (its retries, fallbacks and cooldowns included).
// The call is the gateway's for the caller, as LiteLLM makes it: not admitted against the caller's
// limits, and recorded as a call of its own (CallRecord::Origin::semantic_cache_embedding): a
// spend-log row, its cost charged to the caller's key, the access log and the metrics.
#pragma once

#include "base/error.hpp"
#include "handlers/call_record.hpp"
#include "relay/relay.hpp"
#include "router/live_router.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace llmux::handlers {

namespace asio = boost::asio;

class PromptEmbedder {
 public:
  PromptEmbedder(const router::LiveRouter& router, relay::Relay& relay, std::string model_group)
      : router_(router), relay_(relay), model_group_(std::move(model_group)) {}

  // The vector of `prompt`, or why there is none (the group failed, or answered without one);
  // the call settled and reported on `record`, for `caller`.
  asio::awaitable<Result<std::vector<float>>> embed(std::string_view prompt,
                                                    const auth::Caller& caller, CallRecord& record);

 private:
  asio::awaitable<Result<std::vector<float>>> relay_call(const api::Request& request,
                                                         relay::Outcome& outcome,
                                                         std::string_view traceparent);

  const router::LiveRouter& router_;
  relay::Relay& relay_;
  std::string model_group_;
};

// The first embedding of an OpenAI embeddings answer, as floats; an error for an answer without
// one (or with a base64 one, which the gateway does not ask for).
Result<std::vector<float>> first_embedding(std::string_view answer);

}  // namespace llmux::handlers
