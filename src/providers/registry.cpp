#include "providers/registry.hpp"

#include "providers/anthropic.hpp"
#include "providers/azure.hpp"
#include "providers/bedrock.hpp"
#include "providers/cohere.hpp"
#include "providers/gemini.hpp"
#include "providers/ollama.hpp"
#include "providers/openai_compatible.hpp"
#include "providers/vertex.hpp"
#include "providers/wire/google_auth.hpp"

#include <algorithm>
#include <iterator>

namespace llmux::providers {

namespace {

const OpenAiCompatibleProvider kOpenAi{/*ask_stream_usage=*/true};
// Other OpenAI-compatible servers may reject stream_options; ask only what the client asked.
const OpenAiCompatibleProvider kOpenAiCompatible{/*ask_stream_usage=*/false};
const AnthropicProvider kAnthropic;
const GeminiProvider kGemini;
const BedrockProvider kBedrock;
const BedrockProvider kBedrockClaude{&std::chrono::system_clock::now, /*invokes_messages=*/true};
const CohereProvider kCohere;

// Azure's api-version may predate stream_options: ask only what the client asked.
const OpenAiCompatibleProvider kAzure{/*ask_stream_usage=*/false, azure_addressing()};
const OllamaProvider kOllamaGenerate{OllamaProvider::Api::generate};
const OllamaProvider kOllamaChat{OllamaProvider::Api::chat};
const GeminiProvider kVertexGemini{vertex_gemini_addressing()};
const AnthropicProvider kVertexAnthropic{vertex_anthropic_addressing()};

const Provider* vertex_provider_for(std::string_view model) {
  return is_vertex_anthropic_model(model) ? static_cast<const Provider*>(&kVertexAnthropic)
                                          : &kVertexGemini;
}

const Provider* bedrock_provider_for(std::string_view model) {
  return is_bedrock_claude_invoke_model(model) ? &kBedrockClaude : &kBedrock;
}

constexpr std::string_view kNoEnv;

// One line per prefix (a C array, so adding a provider touches only its own line).
const ProviderSpec kProviders[] = {
    {"openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_API_BASE", &kOpenAi},
    {"custom_openai", "", "OPENAI_API_KEY", kNoEnv, &kOpenAiCompatible},
    {"hosted_vllm", "", "HOSTED_VLLM_API_KEY", "HOSTED_VLLM_API_BASE", &kOpenAiCompatible},
    {"deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", "DEEPSEEK_API_BASE",
     &kOpenAiCompatible},
    {"groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "GROQ_API_BASE", &kOpenAiCompatible},
    {"mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "MISTRAL_API_BASE",
     &kOpenAiCompatible},
    {"together_ai", "https://api.together.xyz/v1", "TOGETHERAI_API_KEY", "TOGETHER_AI_API_BASE",
     &kOpenAiCompatible},
    {"openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "OPENROUTER_API_BASE",
     &kOpenAiCompatible},
    {"fireworks_ai", "https://api.fireworks.ai/inference/v1", "FIREWORKS_AI_API_KEY",
     "FIREWORKS_AI_API_BASE", &kOpenAiCompatible},
    {"xai", "https://api.x.ai/v1", "XAI_API_KEY", "XAI_API_BASE", &kOpenAiCompatible},
    {"perplexity", "https://api.perplexity.ai", "PERPLEXITYAI_API_KEY", "PERPLEXITY_API_BASE",
     &kOpenAiCompatible},
    {"deepinfra", "https://api.deepinfra.com/v1/openai", "DEEPINFRA_API_KEY", "DEEPINFRA_API_BASE",
     &kOpenAiCompatible},
    {"lm_studio", "http://localhost:1234/v1", "LM_STUDIO_API_KEY", "LM_STUDIO_API_BASE",
     &kOpenAiCompatible},
    {"text-completion-openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_API_BASE",
     &kOpenAi},
    {"azure", "", "AZURE_API_KEY", "AZURE_API_BASE", &kAzure, "AZURE_API_VERSION"},
    {"anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY", "ANTHROPIC_API_BASE",
     &kAnthropic},
    // The endpoint comes from the region (BedrockProvider::prepare); api_key is a Bedrock API key.
    {"bedrock", "", "AWS_BEARER_TOKEN_BEDROCK", kNoEnv, &kBedrock, kNoEnv, kNoEnv,
     bedrock_provider_for},
    // LiteLLM prefers GOOGLE_API_KEY to GEMINI_API_KEY.
    {"gemini", "https://generativelanguage.googleapis.com", "GOOGLE_API_KEY", "GEMINI_API_BASE",
     &kGemini, kNoEnv, "GEMINI_API_KEY"},
    {"ollama", "http://localhost:11434", "OLLAMA_API_KEY", "OLLAMA_API_BASE", &kOllamaGenerate},
    {"ollama_chat", "http://localhost:11434", "OLLAMA_API_KEY", "OLLAMA_API_BASE", &kOllamaChat},
    // LiteLLM sends both prefixes to Cohere's v2 chat; the SDK's CO_API_KEY is the fallback.
    {"cohere", "https://api.cohere.com", "COHERE_API_KEY", "COHERE_API_BASE", &kCohere, kNoEnv,
     "CO_API_KEY"},
    {"cohere_chat", "https://api.cohere.com", "COHERE_API_KEY", "COHERE_API_BASE", &kCohere, kNoEnv,
     "CO_API_KEY"},
    // The base URL follows vertex_location, the credential is an OAuth token:
    // prepare_vertex_target.
    {"vertex_ai", "", kNoEnv, kNoEnv, &kVertexGemini, kNoEnv, kNoEnv, vertex_provider_for,
     prepare_vertex_target},
};

// LiteLLM providers that later issues add; a config naming them still loads.
constexpr std::string_view kPlannedProviders[] = {
    "azure_ai", "azure_text", "sagemaker", "huggingface", "watsonx", "databricks", "cloudflare",
};

// litellm_params keys that configure how a deployment is reached or billed, not request fields:
// they go to Target::settings and never reach an upstream body.
constexpr std::string_view kProviderSettings[] = {
    "drop_params",
    "additional_drop_params",
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "max_input_tokens",
    "azure_ad_token",
    "vertex_project",
    "vertex_location",
    "vertex_credentials",
    "vertex_token_uri",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_region_name",
    "aws_profile_name",
    "aws_bedrock_runtime_endpoint",
    "aws_role_name",
    "aws_session_name",
    "aws_web_identity_token",
    "aws_sts_endpoint",
    "aws_external_id",
    "configurable_clientside_auth_params",
};

// The provider settings that hold credentials (or name where to find them).
constexpr std::string_view kCredentialSettings[] = {
    "azure_ad_token",         "vertex_credentials", "aws_access_key_id", "aws_secret_access_key",
    "aws_session_token",      "aws_profile_name",   "aws_role_name",     "aws_session_name",
    "aws_web_identity_token", "aws_external_id",
};

}  // namespace

void add_secrets(SecretMask& mask, const Target& target) {
  mask.add(target.api_key);
  for (const auto& [name, value] : target.extra_headers) mask.add(value);
  for (const std::string_view name : kCredentialSettings) {
    if (const auto* value = target.settings.if_contains(name); value && value->is_string())
      mask.add(value->get_string());
  }
  if (target.google_token) {
    if (auto bearer = target.google_token->bearer()) {
      constexpr std::string_view kScheme = "Bearer ";
      mask.add(std::string_view(*bearer).substr(bearer->starts_with(kScheme) ? kScheme.size() : 0));
    }
  }
}

ModelName split_model(std::string_view model) {
  const auto slash = model.find('/');
  if (slash == std::string_view::npos) return {"openai", model};
  return {model.substr(0, slash), model.substr(slash + 1)};
}

const ProviderSpec* find_provider(std::string_view prefix) {
  for (const auto& spec : kProviders) {
    if (spec.prefix == prefix) return &spec;
  }
  return nullptr;
}

bool is_planned_provider(std::string_view prefix) {
  return std::ranges::find(kPlannedProviders, prefix) != std::end(kPlannedProviders);
}

bool is_provider_setting(std::string_view key) {
  return std::ranges::find(kProviderSettings, key) != std::end(kProviderSettings);
}

bool is_credential_setting(std::string_view key) {
  return std::ranges::find(kCredentialSettings, key) != std::end(kCredentialSettings);
}

std::string known_provider_list() {
  std::string list;
  for (const auto& spec : kProviders) {
    if (!list.empty()) list += ", ";
    list += spec.prefix;
  }
  return list;
}

}  // namespace llmux::providers
