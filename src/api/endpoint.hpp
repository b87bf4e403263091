// The endpoints a request is made to, in a header of their own: the in-process library's
// installed headers (src/sdk) name them without the request parser and its Boost.JSON.
#pragma once

namespace llmux::api {

// OpenAI's endpoints, then the ingress dialects: Anthropic's Messages API (messages, and its
// count_tokens) and OpenAI's Responses API. Their calls are sent to every deployment as a chat
// completion (handlers/dialects).
enum class Endpoint {
  chat_completions,
  completions,
  embeddings,
  moderations,
  rerank,
  messages,
  count_tokens,
  responses
};

}  // namespace llmux::api
