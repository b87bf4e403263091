#include "providers/registry.hpp"

#include "providers/anthropic.hpp"
#include "providers/azure.hpp"
#include "providers/gemini.hpp"
#include "providers/ollama.hpp"
#include "providers/openai_compatible.hpp"

#include <algorithm>
#include <iterator>

namespace llmux::providers {

namespace {

const OpenAiCompatibleProvider kOpenAi{/*ask_stream_usage=*/true};
// Other OpenAI-compatible servers may reject stream_options; ask only what the client asked.
const OpenAiCompatibleProvider kOpenAiCompatible{/*ask_stream_usage=*/false};
const AnthropicProvider kAnthropic;
const GeminiProvider kGemini;

// Azure's api-version may predate stream_options: ask only what the client asked.
const OpenAiCompatibleProvider kAzure{/*ask_stream_usage=*/false, azure_addressing()};
const OllamaProvider kOllamaGenerate{OllamaProvider::Api::generate};
const OllamaProvider kOllamaChat{OllamaProvider::Api::chat};

constexpr std::string_view kNoEnv;

// One line per prefix (a C array, so adding a provider touches only its own line).
const ProviderSpec kProviders[] = {
    {"openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_API_BASE", &kOpenAi},
    {"custom_openai", "", "OPENAI_API_KEY", kNoEnv, &kOpenAiCompatible},
    {"hosted_vllm", "", "HOSTED_VLLM_API_KEY", "HOSTED_VLLM_API_BASE", &kOpenAiCompatible},
    {"deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", "DEEPSEEK_API_BASE", &kOpenAiCompatible},
    {"groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "GROQ_API_BASE", &kOpenAiCompatible},
    {"mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "MISTRAL_API_BASE", &kOpenAiCompatible},
    {"together_ai", "https://api.together.xyz/v1", "TOGETHERAI_API_KEY", "TOGETHER_AI_API_BASE", &kOpenAiCompatible},
    {"openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "OPENROUTER_API_BASE", &kOpenAiCompatible},
    {"fireworks_ai", "https://api.fireworks.ai/inference/v1", "FIREWORKS_AI_API_KEY", "FIREWORKS_AI_API_BASE", &kOpenAiCompatible},
    {"xai", "https://api.x.ai/v1", "XAI_API_KEY", "XAI_API_BASE", &kOpenAiCompatible},
    {"perplexity", "https://api.perplexity.ai", "PERPLEXITYAI_API_KEY", "PERPLEXITY_API_BASE", &kOpenAiCompatible},
    {"deepinfra", "https://api.deepinfra.com/v1/openai", "DEEPINFRA_API_KEY", "DEEPINFRA_API_BASE", &kOpenAiCompatible},
    {"lm_studio", "http://localhost:1234/v1", "LM_STUDIO_API_KEY", "LM_STUDIO_API_BASE", &kOpenAiCompatible},
    {"text-completion-openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_API_BASE", &kOpenAi},
    {"anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY", "ANTHROPIC_API_BASE", &kAnthropic},
    {"azure", "", "AZURE_API_KEY", "AZURE_API_BASE", &kAzure, "AZURE_API_VERSION"},
    {"ollama", "http://localhost:11434", "OLLAMA_API_KEY", "OLLAMA_API_BASE", &kOllamaGenerate},
    {"ollama_chat", "http://localhost:11434", "OLLAMA_API_KEY", "OLLAMA_API_BASE", &kOllamaChat},
    // LiteLLM prefers GOOGLE_API_KEY to GEMINI_API_KEY.
    {"gemini", "https://generativelanguage.googleapis.com", "GOOGLE_API_KEY", "GEMINI_API_BASE", &kGemini, kNoEnv, "GEMINI_API_KEY"},
};

// LiteLLM providers that later issues add; a config naming them still loads.
constexpr std::string_view kPlannedProviders[] = {
    "azure_ai", "azure_text", "vertex_ai", "bedrock", "sagemaker",
    "cohere", "cohere_chat", "huggingface", "watsonx", "databricks",
    "cloudflare",
};

// litellm_params keys that configure how a deployment is reached or billed, not request fields:
// they go to Target::settings and never reach an upstream body.
constexpr std::string_view kProviderSettings[] = {
    "drop_params", "additional_drop_params", "input_cost_per_token", "output_cost_per_token",
    "cache_read_input_token_cost", "cache_creation_input_token_cost", "max_input_tokens",
    "azure_ad_token", "vertex_project", "vertex_location", "vertex_credentials",
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_region_name",
    "aws_profile_name", "aws_bedrock_runtime_endpoint", "configurable_clientside_auth_params",
};

}  // namespace

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

std::string known_provider_list() {
  std::string list;
  for (const auto& spec : kProviders) {
    if (!list.empty()) list += ", ";
    list += spec.prefix;
  }
  return list;
}

}  // namespace llmux::providers
