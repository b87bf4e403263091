#include "config/litellm_keys.hpp"

#include <algorithm>
#include <iterator>

namespace llmux::config {

namespace {

// LiteLLM's own keys (its router's, cost tracker's, proxy's, loggers') llmux does not implement.
constexpr std::string_view kLitellmOnlySettings[] = {
    "itpm",
    "otpm",
    "max_parallel_requests",
    "tags",
    "tag_regex",
    "cooldown_time",
    "region_name",
    "num_retries",
    "mock_timeout",
    "use_in_pass_through",
    "use_litellm_proxy",
    "use_chat_completions_api",
    "use_xai_oauth",
    "merge_reasoning_content_in_choices",
    "litellm_credential_name",
    "custom_llm_provider",
    "model_info",
    "base_model",
    "allowed_openai_params",
    "supports_system_message",
    "ensure_alternating_roles",
    "user_continue_message",
    "assistant_continue_message",
    "enable_json_schema_validation",
    "enable_tag_filtering",
    "provider_specific_header",
    "metadata",
    "litellm_metadata",
    "guardrails",
    "caching",
    "cache",
    "ttl",
    "cache_key",
    "preset_cache_key",
    "caching_groups",
    "no-log",
    "fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "max_fallbacks",
    "fallback_depth",
    "retry_policy",
    "retry_strategy",
    "routing_strategy",
    "model_list",
    "max_budget",
    "budget_duration",
    "default_api_key_tpm_limit",
    "default_api_key_rpm_limit",
    "keepalive_seconds",
    "allow_client_keepalive_override",
    "max_file_size_mb",
    "tiered_pricing",
    "prompt_id",
    "prompt_variables",
    "prompt_version",
    "prompt_label",
    "litellm_system_prompt",
    "litellm_trace_id",
    "litellm_session_id",
    "litellm_call_id",
    "turn_off_message_logging",
    "litellm_disabled_callbacks",
    "tenant_id",
    "client_id",
    "client_secret",
    "azure_username",
    "azure_password",
    "azure_scope",
    "azure_ad_token_provider",
    "aws_bedrock_project_id",
    "aws_batch_role_arn",
    "bedrock_tags",
    "watsonx_region_name",
};

// Families of them: callback credentials, auto-router settings, files and vector stores.
constexpr std::string_view kLitellmOnlyPrefixes[] = {
    "langfuse_",
    "langsmith_",
    "humanloop_",
    "arize_",
    "posthog_",
    "wandb_",
    "weave_",
    "dd_",
    "gcs_",
    "s3_",
    "milvus_",
    "valkey_",
    "auto_router_",
    "adaptive_router_",
    "quality_router_",
    "complexity_router_",
};

// The prices llmux reads (providers' settings), among the many LiteLLM knows.
constexpr std::string_view kPricesRead[] = {
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
};

}  // namespace

bool is_unimplemented_litellm_setting(std::string_view key) {
  if (std::ranges::find(kPricesRead, key) != std::end(kPricesRead)) return false;
  const bool price = key.find("_cost_per_") != std::string_view::npos ||
                     key.find("_token_cost") != std::string_view::npos;
  return price || std::ranges::find(kLitellmOnlySettings, key) != std::end(kLitellmOnlySettings) ||
         std::ranges::any_of(kLitellmOnlyPrefixes,
                             [&](std::string_view prefix) { return key.starts_with(prefix); });
}

}  // namespace llmux::config
