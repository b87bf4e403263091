#include "providers/bedrock.hpp"

#include "providers/json_fields.hpp"

#include <fstream>

namespace llmux::providers {

namespace {

constexpr std::string_view kDefaultRegion = "us-west-2";  // LiteLLM's fallback

std::string env_value(const config::EnvLookup& env, const std::string& name) {
  auto value = env(name);
  return value ? *value : std::string();
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

// One profile of an AWS shared credentials file (INI: "[name]" sections of "key = value").
std::vector<std::pair<std::string, std::string>> read_profile(const std::string& path,
                                                              std::string_view profile) {
  std::vector<std::pair<std::string, std::string>> values;
  std::ifstream in(path);
  std::string line;
  bool in_profile = false;
  while (std::getline(in, line)) {
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[' && text.back() == ']') {
      in_profile = trim(std::string_view(text).substr(1, text.size() - 2)) == profile;
      continue;
    }
    const auto eq = text.find('=');
    if (in_profile && eq != std::string::npos)
      values.emplace_back(trim(std::string_view(text).substr(0, eq)),
                          trim(std::string_view(text).substr(eq + 1)));
  }
  return values;
}

std::string value_of(const std::vector<std::pair<std::string, std::string>>& values,
                     std::string_view key) {
  for (const auto& [name, value] : values) {
    if (name == key) return value;
  }
  return {};
}

}  // namespace

void resolve_bedrock_target(Target& target, const config::EnvLookup& env) {
  auto& settings = target.settings;
  std::string region(string_at(settings, "aws_region_name"));
  if (region.empty()) region = env_value(env, "AWS_REGION_NAME");  // LiteLLM's own, read first
  if (region.empty()) region = env_value(env, "AWS_REGION");
  if (region.empty()) region = env_value(env, "AWS_DEFAULT_REGION");
  if (region.empty()) region = kDefaultRegion;
  settings["aws_region_name"] = region;

  if (target.api_base.empty())
    target.api_base = string_at(settings, "aws_bedrock_runtime_endpoint");
  if (target.api_base.empty()) target.api_base = env_value(env, "AWS_BEDROCK_RUNTIME_ENDPOINT");
  if (target.api_base.empty())
    target.api_base = "https://bedrock-runtime." + region + ".amazonaws.com";

  if (!string_at(settings, "aws_access_key_id").empty() ||
      !string_at(settings, "aws_secret_access_key").empty())
    return;  // the deployment names its keys
  const std::string profile_param(string_at(settings, "aws_profile_name"));
  std::string id, secret, token;
  if (profile_param.empty()) {
    id = env_value(env, "AWS_ACCESS_KEY_ID");
    secret = env_value(env, "AWS_SECRET_ACCESS_KEY");
    token = env_value(env, "AWS_SESSION_TOKEN");
  }
  if (id.empty() || secret.empty()) {
    std::string profile = profile_param;
    if (profile.empty()) profile = env_value(env, "AWS_PROFILE");
    if (profile.empty()) profile = "default";
    std::string file = env_value(env, "AWS_SHARED_CREDENTIALS_FILE");
    if (file.empty() && !env_value(env, "HOME").empty())
      file = env_value(env, "HOME") + "/.aws/credentials";
    const auto values =
        file.empty() ? decltype(read_profile("", "")){} : read_profile(file, profile);
    id = value_of(values, "aws_access_key_id");
    secret = value_of(values, "aws_secret_access_key");
    token = value_of(values, "aws_session_token");
  }
  if (id.empty() || secret.empty()) return;  // a request then fails with a clear 401
  settings["aws_access_key_id"] = id;
  settings["aws_secret_access_key"] = secret;
  if (!token.empty()) settings["aws_session_token"] = token;
}

void BedrockProvider::prepare(Target& target) const {
  resolve_bedrock_target(target, config::process_environment);
}

}  // namespace llmux::providers
