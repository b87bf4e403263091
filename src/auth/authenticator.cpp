#include "auth/authenticator.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace llmux::auth {

namespace {

std::string_view strip_bearer(std::string_view value) {
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() >= kBearer.size()) {
    bool matches = true;
    for (std::size_t i = 0; i < kBearer.size(); ++i) {
      const char c = value[i];
      const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      if (lower != "bearer "[i]) {
        matches = false;
        break;
      }
    }
    if (matches) value.remove_prefix(kBearer.size());
  }
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

}  // namespace

std::string_view presented_key(const PresentedHeaders& headers) {
  // LiteLLM reads its own header first: a client may keep Authorization for something else.
  for (std::string_view value : {headers.x_litellm_api_key, headers.authorization, headers.api_key,
                                 headers.x_api_key, headers.x_goog_api_key}) {
    if (auto key = strip_bearer(value); !key.empty()) return key;
  }
  return {};
}

Authenticator::Authenticator(std::string_view master_key, const KeyCache* keys)
    : keys_(keys),
      master_key_(master_key),
      master_key_hash_(master_key.empty() ? std::string() : hash_key(master_key)),
      open_(master_key.empty()) {}

bool Authenticator::accepts(std::string_view key) const {
  if (open_) return true;
  // Constant time in the key's contents (CRYPTO_memcmp); only its length can show, as with
  // Python's secrets.compare_digest that LiteLLM uses. No per-request hash: it took more time
  // than the rest of the check.
  if (key.size() != master_key_.size()) return false;
  return CRYPTO_memcmp(key.data(), master_key_.data(), key.size()) == 0;
}

}  // namespace llmux::auth

namespace llmux::auth {

namespace {

Error auth_error(std::string message, std::string type, int status = 401) {
  const ErrorKind kind = status == 401   ? ErrorKind::unauthenticated
                         : status == 403 ? ErrorKind::forbidden
                                         : ErrorKind::invalid_request;
  Error error = make_error(kind, std::move(message), "api_key", std::to_string(status));
  error.type = std::move(type);
  error.status = status;
  return error;
}

std::string money(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

}  // namespace

Result<Caller> Authenticator::authenticate(std::string_view key, KeyReader* reader,
                                           store::Millis now, Purpose purpose) const {
  if (open_ || accepts(key)) {
    // The admin's calls are still checked against end users' budgets.
    return Caller{.admin = true, .snapshot = keys_ && reader ? reader->current() : nullptr};
  }
  if (key.empty() || keys_ == nullptr || reader == nullptr) {
    return make_error(ErrorKind::unauthenticated,
                      "Authentication Error: invalid or missing API key.");
  }
  Caller caller{.snapshot = reader->current(), .token = hash_key(key)};
  caller.key = caller.snapshot->find(caller.token);
  if (caller.key == nullptr) {
    return make_error(ErrorKind::unauthenticated,
                      "Authentication Error: invalid or missing API key.");
  }
  const CachedKey& found = *caller.key;
  if (found.blocked) {
    return auth_error(
        "Authentication Error - Key is blocked. Update via `/key/unblock` if you're admin.",
        "auth_error");
  }
  if (found.expires && *found.expires < now) {
    return auth_error("Authentication Error - Expired Key. Key Expiry time " +
                          std::to_string(*found.expires / 1000) + " and current time " +
                          std::to_string(now / 1000),
                      "expired_key");
  }
  if (purpose == Purpose::model_call && found.max_budget &&
      found.spend->value() >= *found.max_budget) {
    return key_over_budget(found, found.spend->value());
  }
  for (const CachedOwner* owner : found.owners()) {
    if (!owner) continue;
    const std::string_view label = owner->kind == "team" ? "Team" : "User";
    if (owner->blocked) {
      return auth_error("Authentication Error - " + std::string(label) + " is blocked. " +
                            std::string(owner->kind) + "_id=" + owner->id,
                        "auth_error");
    }
    if (owner->max_budget && owner->spend->value() >= *owner->max_budget) {
      return owner_over_budget(*owner, owner->spend->value());
    }
  }
  return caller;
}

Error key_over_budget(const CachedKey& key, double spend) {
  return auth_error("Budget has been exceeded! Current cost: " + money(spend) +
                        ", Max budget: " + money(key.max_budget.value_or(0)),
                    "budget_exceeded", 400);
}

Error owner_over_budget(const CachedOwner& owner, double spend) {
  const std::string_view label = owner.kind == "team" ? "Team" : "User";
  return auth_error("Budget has been exceeded! " + std::string(label) + "=" + owner.id +
                        " Current cost: " + money(spend) +
                        ", Max budget: " + money(owner.max_budget.value_or(0)),
                    "budget_exceeded", 400);
}

Result<void> check_end_user(const KeySnapshot* snapshot, std::string_view end_user) {
  if (!snapshot || end_user.empty()) return {};
  const CachedBudget* found = snapshot->find_end_user(end_user);
  if (!found) {
    // Not in the database yet: nothing spent, held to the default budget if there is one.
    const std::optional<double>& budget = snapshot->default_end_user_budget;
    if (budget && *budget <= 0) return end_user_over_budget(end_user, 0, *budget);
    return {};
  }
  if (found->blocked) {
    return auth_error(
        "Blocked end user: " + found->id + ". Unblock via /customer/unblock if you're admin.",
        "auth_error", 400);
  }
  if (found->max_budget && found->spend->value() >= *found->max_budget)
    return end_user_over_budget(found->id, found->spend->value(), *found->max_budget);
  return {};
}

Error end_user_over_budget(std::string_view end_user, double spend, double budget) {
  return auth_error("ExceededBudget: End User=" + std::string(end_user) +
                        " over budget. Spend=" + money(spend) + ", Budget=" + money(budget),
                    "budget_exceeded", 400);
}

bool model_allowed(const std::vector<std::string>& allowed, std::string_view model_group,
                   const ModelTraits& traits) {
  if (allowed.empty()) return true;
  const std::string_view provider = traits.provider;
  for (const std::string& pattern : allowed) {
    if (pattern == model_group || pattern == "all-proxy-models" || pattern == "*") return true;
    if (std::ranges::find(traits.access_groups, pattern) != traits.access_groups.end()) return true;
    if (pattern.size() > 2 && pattern.ends_with("/*")) {
      const std::string_view prefix(pattern.data(), pattern.size() - 1);  // "openai/"
      if (model_group.starts_with(prefix)) return true;
      if (provider == prefix.substr(0, prefix.size() - 1)) return true;
    }
  }
  return false;
}

Result<void> check_model_access(const CachedKey& key, std::string_view model_group,
                                const ModelTraits& traits) {
  // A team key's "all-team-models" (what LiteLLM's UI gives team keys) leaves the choice to the
  // team's list, checked next; a key of no team has no team models.
  const bool team_decides =
      key.team && std::ranges::find(key.models, "all-team-models") != key.models.end();
  // As LiteLLM: the user's list governs a personal key (one of no team); a team key goes by its
  // team's. "no-default-models" in it leaves a user's personal keys no model at all.
  const bool personal_key = key.user && !key.team;
  if (personal_key &&
      std::ranges::find(key.user->models, "no-default-models") != key.user->models.end()) {
    Error error = auth_error(
        "User not allowed to access model. No default model access, only team models allowed. "
        "Tried to access " +
            std::string(model_group),
        "key_model_access_denied", 403);
    error.param = "model";
    return error;
  }
  // The key's own list, then its team's or its user's: each must allow the model.
  const std::array<std::pair<std::string_view, const std::vector<std::string>*>, 3> lists = {{
      {"key", team_decides ? nullptr : &key.models},
      {"team", key.team ? &key.team->models : nullptr},
      {"user", personal_key ? &key.user->models : nullptr},
  }};
  for (const auto& [who, allowed] : lists) {
    if (!allowed || model_allowed(*allowed, model_group, traits)) continue;
    std::string models;
    for (const auto& model : *allowed) models += (models.empty() ? "" : ", ") + model;
    const std::string name(who);
    Error error = auth_error(name + " not allowed to access model. This " + name +
                                 " can only access models=[" + models + "]. Tried to access " +
                                 std::string(model_group),
                             name + "_model_access_denied");
    error.param = "model";
    return error;
  }
  return {};
}

Result<void> check_model_budget(const CachedKey& key, std::string_view model_group,
                                store::Millis now) {
  const ModelBudget* budget = find_model_budget(key.model_budgets, model_group);
  if (!budget || budget->spend->value(now) < budget->max_budget) return {};
  return model_over_budget(key, model_group);
}

Error model_over_budget(const CachedKey& key, std::string_view model_group) {
  // LiteLLM's text names the key by its hash (what /key/list shows), never by the key itself.
  return auth_error("LiteLLM Virtual Key: " + key.token +
                        ", key_alias: " + key.key_alias.value_or("None") +
                        ", exceeded budget for model=" + std::string(model_group),
                    "budget_exceeded", 400);
}

void charge_model_budget(const CachedKey& key, std::string_view model_group, double cost,
                         store::Millis now) {
  if (const ModelBudget* budget = find_model_budget(key.model_budgets, model_group))
    budget->spend->add(cost, now);
}

}  // namespace llmux::auth
