// The upstream dialects and the client requests the provider targets decode answers for.
#pragma once

#include "api/request.hpp"
#include "providers/registry.hpp"
#include "support.hpp"

#include <boost/json/parse.hpp>

#include <string_view>
#include <vector>

namespace llmux::fuzz {

// One provider per dialect the registry serves (several prefixes share one).
inline std::vector<const providers::Provider*> dialects() {
  std::vector<const providers::Provider*> all;
  for (const std::string_view prefix : {"openai", "custom_openai", "azure", "anthropic", "bedrock",
                                        "gemini", "ollama", "ollama_chat", "cohere"})
    all.push_back(providers::find_provider(prefix)->provider);
  const auto* vertex = providers::find_provider("vertex_ai");
  all.push_back(vertex->provider_for("gemini-2.0-flash"));
  all.push_back(vertex->provider_for("claude-3-5-sonnet"));
  return all;
}

inline api::Request request(api::Endpoint endpoint, std::string_view body) {
  auto parsed = api::parse_request(endpoint, body);
  check(parsed.has_value(), "a fuzz target's own request was refused");
  return std::move(*parsed);
}

// Requests whose answers come whole: every endpoint, and the variants decoders branch on.
inline std::vector<api::Request> whole_answer_requests() {
  std::vector<api::Request> all;
  all.push_back(request(api::Endpoint::chat_completions,
                        R"({"model":"m","messages":[{"role":"user","content":"Hi"}]})"));
  all.push_back(request(api::Endpoint::chat_completions,
                        R"({"model":"m","messages":[{"role":"user","content":"Hi"}],)"
                        R"("response_format":{"type":"json_object"}})"));
  all.push_back(request(api::Endpoint::completions, R"({"model":"m","prompt":"Hi"})"));
  all.push_back(request(api::Endpoint::embeddings, R"({"model":"m","input":["a","b"]})"));
  all.push_back(request(api::Endpoint::embeddings,
                        R"({"model":"m","input":"a","encoding_format":"base64"})"));
  all.push_back(request(api::Endpoint::moderations, R"({"input":"a"})"));
  all.push_back(request(api::Endpoint::rerank, R"({"model":"m","query":"q","documents":["a"]})"));
  return all;
}

inline std::vector<api::Request> stream_requests() {
  std::vector<api::Request> all;
  all.push_back(request(api::Endpoint::chat_completions,
                        R"({"model":"m","messages":[{"role":"user","content":"Hi"}],)"
                        R"("stream":true})"));
  all.push_back(request(api::Endpoint::chat_completions,
                        R"({"model":"m","messages":[{"role":"user","content":"Hi"}],)"
                        R"("stream":true,"stream_options":{"include_usage":true}})"));
  all.push_back(
      request(api::Endpoint::completions, R"({"model":"m","prompt":"Hi","stream":true})"));
  return all;
}

inline bool is_json_object(std::string_view text) {
  boost::json::error_code ec;
  const boost::json::value value = boost::json::parse(text, ec);
  return !ec && value.is_object();
}

}  // namespace llmux::fuzz
