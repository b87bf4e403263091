// Decides who is calling: the master key (admin), a virtual key (from the key cache), or nobody.
#pragma once

#include "auth/key_cache.hpp"
#include "base/error.hpp"

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace llmux::auth {

// The places a client may put its key, as LiteLLM reads them.
struct PresentedHeaders {
  std::string_view authorization;      // "Bearer <key>"
  std::string_view api_key;            // Azure SDKs: api-key
  std::string_view x_api_key;          // Anthropic SDKs
  std::string_view x_goog_api_key;     // Google SDKs
  std::string_view x_litellm_api_key;  // LiteLLM's own; "Bearer <key>" or the bare key
};

// The key the client presented, or empty.
std::string_view presented_key(const PresentedHeaders& headers);

// Who a request comes from. A virtual key's entry stays valid while `snapshot` is held.
struct Caller {
  bool admin = false;  // the master key, or a gateway without one
  std::shared_ptr<const KeySnapshot> snapshot;
  const CachedKey* key = nullptr;
  std::string token;  // the key's SHA-256 ("" for the master key)
};

// What a caller is identified for.
enum class Purpose { model_call, management };

class Authenticator {
 public:
  // keys: the virtual keys, or nullptr when there is no store.
  explicit Authenticator(std::string_view master_key, const KeyCache* keys = nullptr);
  const KeyCache* keys() const { return keys_; }
  // No master key configured: every request is let in.
  bool is_open() const { return open_; }
  // Compares in constant time, so timing does not reveal the key's contents.
  bool accepts(std::string_view key) const;
  // The master key, else a virtual key that is neither unknown, blocked, expired nor over its
  // budget (LiteLLM's 401 / 401 expired_key / 400 budget_exceeded). `reader` is the worker's.
  // As LiteLLM's, the key's own max_budget holds for model calls only: for a management route
  // a key over it still passes (to read its own /key/info); its team's and user's budgets hold.
  Result<Caller> authenticate(std::string_view key, KeyReader* reader, store::Millis now,
                              Purpose purpose = Purpose::model_call) const;
  // The master key's SHA-256 (hex), as LiteLLM labels its calls in metrics; "" without one.
  const std::string& master_key_hash() const { return master_key_hash_; }

 private:
  const KeyCache* keys_ = nullptr;
  std::string master_key_;
  std::string master_key_hash_;
  bool open_ = true;
};

// What a models list may name a model group by besides its name: the provider of its deployments
// (for "provider/*") and the access groups they are in (model_info.access_groups).
struct ModelTraits {
  std::string_view provider;
  std::span<const std::string> access_groups;
};

// LiteLLM's model access rule: no models = every model; "all-proxy-models" likewise; else the
// group's name, an access group it is in, or a "provider/*" wildcard that matches the name's
// prefix or the provider of the group's deployments.
bool model_allowed(const std::vector<std::string>& allowed, std::string_view model_group,
                   const ModelTraits& traits);
// LiteLLM's 400 budget_exceeded for a key, or its team or user, at `spend`: one wording whoever
// counted the spend (this instance's snapshot, or a fleet's counters in Redis).
Error key_over_budget(const CachedKey& key, double spend);
Error owner_over_budget(const CachedOwner& owner, double spend);

// 400 budget_exceeded / blocked for an end user (the body's `user`, x-litellm-customer-id) whose
// budget (their own, else max_end_user_budget) is spent; nothing for end users without a budget.
Result<void> check_end_user(const KeySnapshot* snapshot, std::string_view end_user);
Error end_user_over_budget(std::string_view end_user, double spend, double budget);

// 401 key_model_access_denied (team_…, user_…), when the key, its team or its user may not call
// `model_group`. A key of a team whose models include "all-team-models" may call what its team
// may.
Result<void> check_model_access(const CachedKey& key, std::string_view model_group,
                                const ModelTraits& traits);

// 400 budget_exceeded when the key's model_max_budget for `model_group` is spent in the current
// window. A call that crosses it runs to its end; the next one is refused.
Result<void> check_model_budget(const CachedKey& key, std::string_view model_group,
                                store::Millis now);
Error model_over_budget(const CachedKey& key, std::string_view model_group);
// Adds a finished call's cost to the key's budget for `model_group`, if it has one.
void charge_model_budget(const CachedKey& key, std::string_view model_group, double cost,
                         store::Millis now);

}  // namespace llmux::auth
