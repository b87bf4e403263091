// Per-request routing from the client: `api_key` / `api_base` / `base_url` in the body, and
// `user_config` (a router config with its own model_list). They send traffic, and possibly the
// operator's credentials, where the client says, so each is refused unless
// general_settings.allow_client_side_credentials is set or, for api_key / api_base / base_url,
// every deployment of the group lists the field in configurable_clientside_auth_params (an
// api_base may instead match one of its {api_base: <regex>} patterns). The refusal is LiteLLM's:
// a 401 auth_error "Authentication Error, Rejected Request: <field> is not allowed …".
#pragma once

#include "api/request.hpp"
#include "config/config.hpp"
#include "router/attempt_plan.hpp"
#include "router/model_table.hpp"

#include <optional>
#include <span>
#include <string>

namespace llmux::router {

// The credentials to apply to this request's deployments (from the top level of the body; the
// same fields in metadata are only checked), or the 401 for a field the operator did not allow.
Result<ClientCredentials> client_credentials(const api::Request& request,
                                             std::span<const Deployment* const> group,
                                             bool allow_all);

// A copy of `deployment` reached with the client's credentials. It never cools the shared
// deployment: a client's wrong key says nothing about the operator's. With a client api_base it
// carries none of the deployment's credentials (only the client's api_key, if any) and is
// dialled under the client destination policy.
Deployment with_client_credentials(const Deployment& deployment,
                                   const ClientCredentials& credentials);

// user_config → a Config, validated like config.yaml: `model_list` plus router settings at the
// top level (num_retries, fallbacks, timeout, routing_strategy, …). It may not read the
// gateway's environment (os.environ/…), and its deployments never take a provider key from it.
Result<config::Config> user_config(const boost::json::value& value);

}  // namespace llmux::router
