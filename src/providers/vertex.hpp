// Google Vertex AI (`vertex_ai/<model>`): Gemini models through Vertex's generateContent URLs and
// Claude models through Vertex's rawPredict, authenticated with a service account's OAuth token.
// Only the addressing is Vertex's own: the translation is GeminiProvider's and AnthropicProvider's
// (docs/providers/vertex.md).
#pragma once

#include "providers/anthropic.hpp"
#include "providers/gemini.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace llmux::providers {

inline constexpr std::string_view kVertexDefaultLocation = "us-central1";
// What Claude on Vertex takes as `anthropic_version` in the body (no anthropic-version header).
inline constexpr std::string_view kVertexAnthropicVersion = "vertex-2023-10-16";

// `{base}/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}`
// with `Authorization: Bearer {OAuth token}`; embeddings through `:predict`.
const GeminiAddressing& vertex_gemini_addressing();
// `…/publishers/anthropic/models/{model}:rawPredict` (`:streamRawPredict`), the model in the URL
// and `anthropic_version` in the body.
const AnthropicAddressing& vertex_anthropic_addressing();

// LiteLLM serves `vertex_ai/claude-…` with Anthropic's Messages API, the rest with Gemini's.
bool is_vertex_anthropic_model(std::string_view model);

// Completes a vertex_ai deployment at load time: vertex_project (else VERTEXAI_PROJECT, else the
// key's project_id), vertex_location (else VERTEXAI_LOCATION, else us-central1), the service
// account (vertex_credentials: a path or the JSON itself, else GOOGLE_APPLICATION_CREDENTIALS),
// the token endpoint (vertex_token_uri, else VERTEXAI_TOKEN_URI, else the key's token_uri) and
// the base URL (api_base, else the location's aiplatform host). `deployment` names it in
// errors. Returns the problem, without any secret, when the deployment cannot be served.
// `operator_config` false (a client's user_config): nothing is read from the environment or from
// a file; vertex_credentials must be the JSON itself, and a path is refused unopened, with one
// message whatever it names.
std::optional<std::string> prepare_vertex_target(Target& target, std::string_view deployment,
                                                 bool operator_config = true);

}  // namespace llmux::providers
