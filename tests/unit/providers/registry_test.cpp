#include "providers/registry.hpp"

#include "provider_test.hpp"

namespace llmux::providers {
namespace {

using ::testing::HasSubstr;

// Spoken through OpenAiCompatibleProvider, then through providers that translate.
const std::vector<std::string_view> kOpenAiCompatible = {"openai",       "custom_openai",
                                                         "hosted_vllm",  "deepseek",
                                                         "groq",         "mistral",
                                                         "together_ai",  "openrouter",
                                                         "fireworks_ai", "xai",
                                                         "perplexity",   "deepinfra",
                                                         "lm_studio",    "text-completion-openai",
                                                         "azure"};
const std::vector<std::string_view> kTranslating = {
    "anthropic", "bedrock", "gemini", "ollama", "ollama_chat", "cohere", "cohere_chat"};
// vertex_ai is spoken too, but keyless (a service account's OAuth token): vertex_test.cpp.
const std::vector<std::string_view> kSpoken = [] {
  auto all = kOpenAiCompatible;
  all.insert(all.end(), kTranslating.begin(), kTranslating.end());
  return all;
}();

const std::vector<std::string_view> kPlanned = {
    "azure_ai", "azure_text", "sagemaker", "huggingface", "watsonx", "databricks", "cloudflare"};

TEST(SplitModel, NoPrefixIsOpenAi) {
  const ModelName name = split_model("gpt-4o-mini");
  EXPECT_EQ(name.prefix, "openai");
  EXPECT_EQ(name.name, "gpt-4o-mini");
}

TEST(SplitModel, PrefixIsUpToTheFirstSlash) {
  const ModelName groq = split_model("groq/llama-3.1-8b-instant");
  EXPECT_EQ(groq.prefix, "groq");
  EXPECT_EQ(groq.name, "llama-3.1-8b-instant");
  const ModelName nested = split_model("openrouter/meta-llama/llama-3.1-70b-instruct");
  EXPECT_EQ(nested.prefix, "openrouter");
  EXPECT_EQ(nested.name, "meta-llama/llama-3.1-70b-instruct");
  const ModelName vllm = split_model("hosted_vllm/Qwen/Qwen2.5-7B-Instruct");
  EXPECT_EQ(vllm.prefix, "hosted_vllm");
  EXPECT_EQ(vllm.name, "Qwen/Qwen2.5-7B-Instruct");
  const ModelName empty_name = split_model("openai/");
  EXPECT_EQ(empty_name.prefix, "openai");
  EXPECT_EQ(empty_name.name, "");
}

TEST(FindProvider, EverySpokenPrefix) {
  for (std::string_view prefix : kSpoken) {
    SCOPED_TRACE(std::string(prefix));
    const ProviderSpec* spec = find_provider(prefix);
    ASSERT_NE(spec, nullptr);
    EXPECT_EQ(spec->prefix, prefix);
    EXPECT_NE(spec->provider, nullptr);
    EXPECT_FALSE(spec->api_key_env.empty());
    EXPECT_FALSE(spec->default_api_base.ends_with('/'));
    EXPECT_FALSE(is_planned_provider(prefix));
  }
}

TEST(FindProvider, DefaultBasesAndVariables) {
  EXPECT_EQ(find_provider("openai")->default_api_base, "https://api.openai.com/v1");
  EXPECT_EQ(find_provider("openai")->api_key_env, "OPENAI_API_KEY");
  EXPECT_EQ(find_provider("openai")->api_base_env, "OPENAI_API_BASE");
  EXPECT_EQ(find_provider("groq")->default_api_base, "https://api.groq.com/openai/v1");
  EXPECT_EQ(find_provider("groq")->api_key_env, "GROQ_API_KEY");
  EXPECT_EQ(find_provider("deepseek")->default_api_base, "https://api.deepseek.com/v1");
  EXPECT_EQ(find_provider("together_ai")->api_key_env, "TOGETHERAI_API_KEY");
  EXPECT_EQ(find_provider("anthropic")->default_api_base, "https://api.anthropic.com");
  EXPECT_EQ(find_provider("anthropic")->api_key_env, "ANTHROPIC_API_KEY");
  EXPECT_EQ(find_provider("anthropic")->api_base_env, "ANTHROPIC_API_BASE");
  EXPECT_EQ(find_provider("gemini")->default_api_base, "https://generativelanguage.googleapis.com");
  EXPECT_EQ(find_provider("gemini")->api_key_env, "GOOGLE_API_KEY");  // LiteLLM's order
  EXPECT_EQ(find_provider("gemini")->fallback_api_key_env, "GEMINI_API_KEY");
  EXPECT_EQ(find_provider("gemini")->api_base_env, "GEMINI_API_BASE");
  // Self-hosted servers have no default: api_base is required.
  EXPECT_EQ(find_provider("hosted_vllm")->default_api_base, "");
  EXPECT_EQ(find_provider("custom_openai")->default_api_base, "");
  EXPECT_EQ(find_provider("azure")->default_api_base, "");
  EXPECT_EQ(find_provider("azure")->api_key_env, "AZURE_API_KEY");
  EXPECT_EQ(find_provider("azure")->api_base_env, "AZURE_API_BASE");
  EXPECT_EQ(find_provider("azure")->api_version_env, "AZURE_API_VERSION");
  EXPECT_EQ(find_provider("openai")->api_version_env, "");
  for (std::string_view ollama : {"ollama", "ollama_chat"}) {
    EXPECT_EQ(find_provider(ollama)->default_api_base, "http://localhost:11434");
    EXPECT_EQ(find_provider(ollama)->api_base_env, "OLLAMA_API_BASE");
  }
}

TEST(FindProvider, UnknownPrefixes) {
  for (std::string_view prefix : {"", "OpenAI", "groq ", "Anthropic", "meta-llama", "vllm"}) {
    EXPECT_EQ(find_provider(prefix), nullptr) << prefix;
  }
}

TEST(FindProvider, OnlyOpenAiItselfIsAskedForStreamUsage) {
  // Other OpenAI-compatible servers may reject stream_options, so only OpenAI's own endpoints get
  // it.
  const api::Request request =
      test_support::parsed_request(api::Endpoint::chat_completions,
                                   R"({"model":"m","messages":[{"role":"user"}],"stream":true})");
  const Target target{.upstream_model = "m", .api_base = "http://127.0.0.1:9"};
  for (std::string_view prefix : kOpenAiCompatible) {
    SCOPED_TRACE(std::string(prefix));
    auto upstream = find_provider(prefix)->provider->encode(request, target);
    ASSERT_TRUE(upstream);
    const bool asked = boost::json::parse(upstream->body).as_object().contains("stream_options");
    EXPECT_EQ(asked, prefix == "openai" || prefix == "text-completion-openai");
  }
}

TEST(IsPlannedProvider, EveryPlannedPrefixAndNothingElse) {
  for (std::string_view prefix : kPlanned) {
    EXPECT_TRUE(is_planned_provider(prefix)) << prefix;
    EXPECT_EQ(find_provider(prefix), nullptr) << prefix;
  }
  for (std::string_view prefix : {"openai", "groq", "", "Anthropic", "made_up"}) {
    EXPECT_FALSE(is_planned_provider(prefix)) << prefix;
  }
}

TEST(KnownProviderList, NamesEverySpokenPrefixInOrder) {
  std::string expected;
  for (std::string_view prefix : kSpoken) {
    if (!expected.empty()) expected += ", ";
    expected += prefix;
  }
  EXPECT_EQ(known_provider_list(), expected + ", vertex_ai");
}

}  // namespace
}  // namespace llmux::providers
