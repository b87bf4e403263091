#include "router/client_side.hpp"

#include "config/load.hpp"
#include "net/client_destination.hpp"
#include "providers/registry.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace llmux::router {

namespace {

namespace json = boost::json;

// LiteLLM refuses these in its auth step, so the refusal is an auth error: 401, type auth_error.
Error refused(std::string_view field) {
  Error error = make_error(
      ErrorKind::unauthenticated,
      "Authentication Error, Rejected Request: " + std::string(field) +
          " is not allowed in request body. Clientside passthrough requires explicit admin "
          "opt-in via either `general_settings.allow_client_side_credentials = true` "
          "(proxy-wide) or `configurable_clientside_auth_params` on the deployment in your "
          "proxy config.yaml.",
      std::string(field), "401");
  error.type = "auth_error";
  return error;
}

bool lists(const Deployment& deployment, std::string_view field) {
  return std::find(deployment.clientside_params.begin(), deployment.clientside_params.end(),
                   field) != deployment.clientside_params.end();
}

bool allows_api_base(const Deployment& deployment, std::string_view field,
                     const std::optional<std::string>& value) {
  if (lists(deployment, field) || lists(deployment, "api_base")) return true;
  if (!value) return false;
  return std::any_of(deployment.clientside_api_bases.begin(), deployment.clientside_api_bases.end(),
                     [&](const std::regex& pattern) { return std::regex_match(*value, pattern); });
}

std::optional<std::string> top_level_string(const json::object& body, std::string_view field) {
  const auto* value = body.if_contains(field);
  if (!value || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

}  // namespace

Result<ClientCredentials> client_credentials(const api::Request& request,
                                             std::span<const Deployment* const> group,
                                             bool allow_all) {
  ClientCredentials credentials;
  for (const std::string_view field : api::client_side_routing_fields(request)) {
    const auto value = top_level_string(request.body, field);
    if (request.body.contains(field) && !request.body.at(field).is_null() &&
        field != "user_config" && !value) {
      return make_error(ErrorKind::invalid_request,
                        "'" + std::string(field) + "' must be a string.", std::string(field));
    }
    if (field == "api_key") {
      if (!allow_all && (group.empty() ||
                         !std::all_of(group.begin(), group.end(),
                                      [](const Deployment* d) { return lists(*d, "api_key"); }))) {
        return refused(field);
      }
      credentials.api_key = value;
    } else if (field == "api_base" || field == "base_url") {
      if (!allow_all &&
          (group.empty() || !std::all_of(group.begin(), group.end(), [&](const Deployment* d) {
             return allows_api_base(*d, field, value);
           }))) {
        return refused(field);
      }
      if (value) {
        if (!net::is_http_url(*value)) {
          return make_error(
              ErrorKind::invalid_request,
              "'" + std::string(field) + "' must be an absolute http(s) URL with a host.",
              std::string(field));
        }
        credentials.api_base = value;
        credentials.api_base_field = field;
      }
    } else if (!allow_all) {  // user_config: a whole router of the client's; only with the global
                              // opt-in
      return refused(field);
    }
  }
  if (credentials.api_base) {
    while (credentials.api_base->ends_with('/')) credentials.api_base->pop_back();
  }
  return credentials;
}

Deployment with_client_credentials(const Deployment& deployment,
                                   const ClientCredentials& credentials) {
  Deployment copy = deployment;
  if (credentials.api_base) {
    // Nothing of the operator's goes where the client points: not its key, organization or
    // headers, its Azure token, its AWS keys, nor its Google service account.
    auto& target = copy.target;
    target.api_base = *credentials.api_base;
    target.api_key.clear();
    target.organization.clear();
    target.extra_headers.clear();
    target.google_token.reset();
    for (auto it = target.settings.begin(); it != target.settings.end();) {
      it = providers::is_credential_setting(it->key()) ? target.settings.erase(it) : std::next(it);
    }
    copy.client_destination = credentials.api_base_field;
  }
  if (credentials.api_key) copy.target.api_key = *credentials.api_key;
  copy.cools = false;
  return copy;
}

Result<config::Config> user_config(const json::value& value) {
  if (!value.is_object()) {
    return make_error(ErrorKind::invalid_request,
                      "'user_config' must be an object with a model_list.", "user_config");
  }
  json::object document;
  json::object router_settings;
  for (const auto& [key, item] : value.get_object()) {
    if (key == "model_list") {
      document["model_list"] = item;
    } else {
      router_settings[key] = item;
    }
  }
  if (!document.contains("model_list")) {
    return make_error(ErrorKind::invalid_request, "'user_config' needs a model_list.",
                      "user_config");
  }
  document["router_settings"] = std::move(router_settings);
  bool reads_environment = false;
  const config::EnvLookup no_environment =
      [&](const std::string& name) -> std::optional<std::string> {
    // The loader's own defaults for settings a user_config cannot use anyway.
    if (name == config::kMasterKeyVariable || name == config::kDatabaseUrlVariable ||
        name == config::kStoreModelInDbVariable || name.starts_with("REDIS_"))
      return std::nullopt;
    reads_environment = true;
    return std::nullopt;
  };
  try {
    // JSON is YAML: the one loader validates it exactly as it validates config.yaml.
    config::Config config =
        config::load_string(json::serialize(document), "user_config", no_environment);
    if (reads_environment) {
      return make_error(ErrorKind::invalid_request,
                        "'user_config' may not read the gateway's environment (os.environ/).",
                        "user_config");
    }
    return config;
  } catch (const config::LoadError& error) {
    std::string message = "Invalid user_config:";
    for (const auto& problem : error.problems) message += " " + problem + ";";
    message.pop_back();
    message += ".";
    return make_error(ErrorKind::invalid_request, std::move(message), "user_config");
  }
}

}  // namespace llmux::router
