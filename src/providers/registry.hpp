// The one list of providers llmux speaks: model prefix → dialect, default base URL and the
// environment variables LiteLLM reads for it.
#pragma once

#include "base/secret_mask.hpp"
#include "providers/provider.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace llmux::providers {

struct ProviderSpec {
  std::string_view prefix;            // "groq" in "groq/llama-3.1-8b-instant"
  std::string_view default_api_base;  // empty: api_base is required
  std::string_view api_key_env;       // read when litellm_params has no api_key
  std::string_view api_base_env;      // read when litellm_params has no api_base
  const Provider* provider;
  std::string_view api_version_env = {};       // read when litellm_params has no api_version
  std::string_view fallback_api_key_env = {};  // read when api_key_env is unset too
  // A prefix that serves several dialects picks one by the upstream model (vertex_ai/claude-…).
  const Provider* (*provider_for_model)(std::string_view upstream_model) = nullptr;
  // Completes a deployment's Target at load (project, credentials, …); returns the problem when
  // it cannot be served. `operator_config` false: a client's user_config, which may not make the
  // gateway read its environment or a file.
  std::optional<std::string> (*prepare)(Target& target, std::string_view deployment,
                                        bool operator_config) = nullptr;

  const Provider* provider_for(std::string_view upstream_model) const {
    return provider_for_model ? provider_for_model(upstream_model) : provider;
  }
};

// "groq/llama-3" → {"groq", "llama-3"}; a name without a prefix is OpenAI's, as in LiteLLM.
struct ModelName {
  std::string_view prefix;
  std::string_view name;
};
ModelName split_model(std::string_view model);

// Adds the credentials a deployment sends upstream (its key, extra headers, the provider
// settings that hold secrets, a Google access token) to `mask`.
void add_secrets(SecretMask& mask, const Target& target);

const ProviderSpec* find_provider(std::string_view prefix);
// A LiteLLM provider llmux does not speak yet (it is skipped with a warning, not an error).
bool is_planned_provider(std::string_view prefix);
std::string known_provider_list();
// A litellm_params key that is a deployment setting (azure_ad_token, vertex_project, drop_params,
// …) rather than a default request field.
bool is_provider_setting(std::string_view key);  // "openai, groq, …" for error messages
// A provider setting that is a credential or names where one comes from (azure_ad_token, the
// aws_* keys, profile and role, vertex_credentials): never sent to a destination the client chose.
bool is_credential_setting(std::string_view key);

}  // namespace llmux::providers
