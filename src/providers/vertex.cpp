#include "providers/vertex.hpp"

#include "providers/json_fields.hpp"
#include "providers/wire/google_auth.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdlib>

namespace llmux::providers {

namespace json = boost::json;

namespace {

// The process environment, for the operator's deployments only.
std::string_view env(const char* name, bool operator_config) {
  const char* value = operator_config ? std::getenv(name) : nullptr;
  return value ? value : "";
}

// Project ids, locations and model ids are plain names; anything else would change the URL's
// structure (or the host, for the location). `also` lists what one kind adds: '@' in model
// versions, ':' in domain-scoped project ids (example.com:my-project).
bool is_plain_name(std::string_view text, std::string_view also = {}) {
  return !text.empty() && std::ranges::all_of(text, [also](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || also.find(c) != std::string_view::npos;
  });
}

// `{base}/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}:{method}`
Result<std::string> model_url(const Target& target, std::string_view publisher,
                              std::string_view method) {
  if (!is_plain_name(target.upstream_model, "@")) {
    return make_error(
        ErrorKind::invalid_request,
        "vertex_ai: the model id '" + target.upstream_model + "' is not a plain Vertex model id.");
  }
  std::string url = target.api_base;
  url += "/v1/projects/";
  url += string_at(target.settings, "vertex_project");
  url += "/locations/";
  url += string_at(target.settings, "vertex_location");
  url += "/publishers/";
  url += publisher;
  url += "/models/";
  url += target.upstream_model;
  url += ':';
  url += method;
  return url;
}

Result<void> add_bearer(const Target& target, Headers& headers) {
  if (!target.google_token) {
    return make_error(ErrorKind::unauthenticated,
                      "vertex_ai deployment '" + target.upstream_model +
                          "' has no service account to authenticate with.");
  }
  auto bearer = target.google_token->bearer();
  if (!bearer) return bearer.error();
  headers.emplace_back("Authorization", std::move(*bearer));
  return {};
}

class VertexGeminiAddressing final : public GeminiAddressing {
 public:
  Result<std::string> url(const Target& target, std::string_view method) const override {
    return model_url(target, "google", method);
  }

  Result<void> add_credentials(const Target& target, Headers& headers) const override {
    return add_bearer(target, headers);
  }

  bool embeds_with_predict() const override { return true; }
};

class VertexAnthropicAddressing final : public AnthropicAddressing {
 public:
  Result<std::string> url(const Target& target, bool stream) const override {
    return model_url(target, "anthropic", stream ? "streamRawPredict" : "rawPredict");
  }

  Result<void> add_headers(const Target& target, Headers& headers) const override {
    return add_bearer(target, headers);
  }

  void address_body(const Target& /*target*/, json::object& body) const override {
    body["anthropic_version"] = kVertexAnthropicVersion;
  }

  // rawPredict takes the Messages API body itself (LiteLLM passes it through too).
  bool passes_messages_through() const override { return true; }
  bool takes_version_header() const override { return false; }
};

const VertexGeminiAddressing kVertexGemini;
const VertexAnthropicAddressing kVertexAnthropic;

// vertex_credentials: a path, the JSON as a string, or (from YAML) the key as a mapping.
std::string credentials_source(const Target& target, bool operator_config) {
  const auto* value = target.settings.if_contains("vertex_credentials");
  if (value && value->is_object()) return json::serialize(*value);
  if (value && value->is_string() && !value->get_string().empty())
    return std::string(value->get_string());
  return std::string(env("GOOGLE_APPLICATION_CREDENTIALS", operator_config));
}

// load_service_account reads a file for anything that does not start as a JSON object does.
bool is_inline_json(std::string_view source) {
  const auto first = source.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && source[first] == '{';
}

}  // namespace

const GeminiAddressing& vertex_gemini_addressing() { return kVertexGemini; }
const AnthropicAddressing& vertex_anthropic_addressing() { return kVertexAnthropic; }

bool is_vertex_anthropic_model(std::string_view model) {
  std::string lower(model);
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("claude") != std::string::npos;
}

std::optional<std::string> prepare_vertex_target(Target& target, std::string_view deployment,
                                                 bool operator_config) {
  const std::string source = credentials_source(target, operator_config);
  if (!operator_config && !is_inline_json(source)) {
    return "vertex_ai in a user_config needs litellm_params.vertex_credentials to be the "
           "service-account key's JSON "
           "itself (no file is read for a client)";
  }
  if (source.empty()) {
    return "vertex_ai needs a service-account key: set litellm_params.vertex_credentials (a path "
           "or the JSON) "
           "or GOOGLE_APPLICATION_CREDENTIALS";
  }
  auto account = wire::load_service_account(source);
  if (!account) return "vertex_credentials: " + account.error().message;

  std::string project(string_at(target.settings, "vertex_project"));
  if (project.empty()) project = env("VERTEXAI_PROJECT", operator_config);
  if (project.empty()) project = account->project_id;
  if (!is_plain_name(project, ":")) {
    return project.empty()
               ? "vertex_ai needs a project: set litellm_params.vertex_project or VERTEXAI_PROJECT"
               : "vertex_project '" + project + "' is not a Google Cloud project id";
  }
  std::string location(string_at(target.settings, "vertex_location"));
  if (location.empty()) location = env("VERTEXAI_LOCATION", operator_config);
  if (location.empty()) location = kVertexDefaultLocation;
  if (!is_plain_name(location)) return "vertex_location '" + location + "' is not a location";
  target.settings["vertex_project"] = project;
  target.settings["vertex_location"] = location;

  if (target.api_base.empty()) {
    // The global endpoint has no location in its host name.
    target.api_base = location == "global" ? "https://aiplatform.googleapis.com"
                                           : "https://" + location + "-aiplatform.googleapis.com";
  }
  std::string token_uri(string_at(target.settings, "vertex_token_uri"));
  if (token_uri.empty()) token_uri = env("VERTEXAI_TOKEN_URI", operator_config);
  if (token_uri.empty()) token_uri = account->token_uri;
  std::string owner =
      "vertex_ai deployment '" + std::string(deployment) + "' (" + target.upstream_model + ")";
  target.google_token = std::make_shared<wire::GoogleAccessToken>(
      std::move(*account), std::move(token_uri), std::move(owner));
  return std::nullopt;
}

}  // namespace llmux::providers
