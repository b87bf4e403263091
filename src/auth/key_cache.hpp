// Virtual keys as the request path sees them: an immutable snapshot (a hash map from the key's
// SHA-256 to what it may do), rebuilt by the store thread when keys change and on a short TTL,
// and swapped in atomically. A request's key check is one hash and one map find, never a query.
#pragma once

#include "auth/model_budget.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

#include <boost/json/value.hpp>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llmux::auth {

// A key's spend as it is right now: the database's value plus every call since, added by the
// workers as calls finish. Outlives snapshots (the next one shares it).
struct LiveSpend {
  std::atomic<double> spend{0};
  // Set when the soft budget's warning went out; cleared when the spend is back under it (a
  // budget reset, a raised soft_budget), so each crossing warns once.
  std::atomic<bool> soft_budget_warned{false};
  void add(double cost) { spend.fetch_add(cost, std::memory_order_relaxed); }
  double value() const { return spend.load(std::memory_order_relaxed); }
  // True for the one call that finds the spend at or past `soft_budget` first.
  bool crossed(double soft_budget) {
    return value() >= soft_budget && !soft_budget_warned.load(std::memory_order_relaxed) &&
           !soft_budget_warned.exchange(true, std::memory_order_relaxed);
  }
  // When the budget alert of each event (handlers::BudgetEvent) last went out, Unix ms; shared by
  // every worker, so the process sends one per event in a TTL.
  std::array<std::atomic<std::int64_t>, 3> budget_alert_sent_ms{};
  // True for the one caller that may send the alert of `event` now: none went out in `ttl_ms`.
  bool claim_budget_alert(std::size_t event, std::int64_t now_ms, std::int64_t ttl_ms) {
    std::atomic<std::int64_t>& sent = budget_alert_sent_ms[event];
    std::int64_t last = sent.load(std::memory_order_relaxed);
    return (last == 0 || now_ms - last >= ttl_ms) &&
           sent.compare_exchange_strong(last, now_ms, std::memory_order_relaxed);
  }
};

// A team or a user: its models, budget and rate limits apply to each of its keys on top of the
// key's own (a call must pass them all). One type, so one piece of code checks both.
struct CachedOwner {
  std::string id;
  std::string_view kind;            // "team" or "user", as LiteLLM's messages name them
  std::string subject;              // the rate-limit counters' name: the id with its store prefix
  std::vector<std::string> models;  // empty: every model
  std::optional<double> max_budget;
  std::optional<store::Millis> budget_reset_at;
  std::optional<std::int64_t> tpm_limit;
  std::optional<std::int64_t> rpm_limit;
  std::optional<std::int64_t> max_parallel_requests;
  bool blocked = false;
  std::optional<std::string> alias;  // a team's team_alias
  std::shared_ptr<LiveSpend> spend;
  // A team's metadata.logging (docs/OBSERVABILITY.md); nullptr when it has none.
  std::shared_ptr<const std::vector<config::LoggingCallback>> logging;
};

// An end user's budget, checked for every call on their behalf.
struct CachedBudget {
  std::string id;
  std::optional<double> max_budget;
  bool blocked = false;
  std::shared_ptr<LiveSpend> spend;
};

struct CachedKey {
  std::string token;     // SHA-256, hex
  std::string key_name;  // "sk-...abcd"
  std::optional<std::string> key_alias;
  std::vector<std::string> models;  // empty: every model
  std::unordered_map<std::string, std::string> aliases;
  std::optional<store::Millis> expires;
  bool blocked = false;
  std::optional<double> max_budget;
  std::optional<double> soft_budget;
  std::optional<store::Millis> budget_reset_at;
  std::vector<ModelBudget> model_budgets;  // model_max_budget
  std::optional<std::int64_t> tpm_limit;
  std::optional<std::int64_t> rpm_limit;
  std::optional<std::int64_t> max_parallel_requests;
  std::string user_id;
  std::string team_id;
  std::vector<std::string> tags;
  // metadata.cache: LiteLLM's key-level cache controls, which take the place of each request's
  // `cache` object (docs/CACHING.md); nullopt when the key's metadata has none.
  std::optional<boost::json::value> cache_controls;
  // allowed_cache_controls: the cache controls the key's requests may set; empty: any.
  std::vector<std::string> allowed_cache_controls;
  // The logging callbacks of the key's metadata.logging, else of its team's: they take the key's
  // calls with their own credentials (docs/OBSERVABILITY.md); nullptr when neither names any.
  std::shared_ptr<const std::vector<config::LoggingCallback>> logging;
  std::shared_ptr<LiveSpend> spend;
  // In the same snapshot; nullptr when team_id / user_id names none.
  const CachedOwner* team = nullptr;
  const CachedOwner* user = nullptr;
  std::array<const CachedOwner*, 2> owners() const { return {team, user}; }
};

struct KeySnapshot {
  std::unordered_map<std::string, CachedOwner> teams;  // by team_id
  std::unordered_map<std::string, CachedOwner> users;  // by user_id
  // By id: those with a budget or blocked; with a default budget (max_end_user_budget), every
  // end user the database knows, each without a budget of their own given the default.
  std::unordered_map<std::string, CachedBudget> end_users;
  // litellm_settings.max_end_user_budget: also the budget of an end user not in end_users yet.
  std::optional<double> default_end_user_budget;
  std::unordered_map<std::string, CachedKey> keys;  // by token
  const CachedKey* find(const std::string& token) const {
    const auto it = keys.find(token);
    return it == keys.end() ? nullptr : &it->second;
  }
  const CachedBudget* find_end_user(std::string_view id) const {
    if (id.empty()) return nullptr;
    const auto it = end_users.find(std::string(id));
    return it == end_users.end() ? nullptr : &it->second;
  }
};

// SHA-256 of a presented key, hex: what the store keeps instead of the key.
std::string hash_key(std::string_view key);

class KeyCache {
 public:
  explicit KeyCache(std::optional<double> default_end_user_budget = std::nullopt);
  // Store thread: reads every key and publishes a new snapshot. Keys in reset_tokens had their
  // spend set in the database (budget reset, update): their live spend takes that value.
  // Teams in reset_tokens appear as store::kTeamPrefix + team_id.
  void rebuild(store::Store& store, const std::vector<std::string>& reset_tokens);
  // Store thread: the live spend of a team, user or end user (prefixed id), if known.
  std::optional<double> live_spend(const std::string& prefixed_id) const;
  // Store thread: spend the database received that this run's live spend does not hold.
  void add_live_spend(const std::map<std::string, double>& spend_by_key);
  // Any thread.
  std::shared_ptr<const KeySnapshot> snapshot() const {
    return snapshot_.load(std::memory_order_acquire);
  }
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  const std::optional<double> default_end_user_budget_;
  std::atomic<std::shared_ptr<const KeySnapshot>> snapshot_;
  std::atomic<std::uint64_t> version_{0};
  // Only the store thread touches these: the live spend of every key it has seen, and of every
  // model budget (by token, model and window).
  std::unordered_map<std::string, std::shared_ptr<LiveSpend>> live_spend_;
  std::unordered_map<std::string, std::shared_ptr<WindowSpend>> model_spend_;
};

// One per worker: keeps the snapshot it last read and only reloads it when the cache's version
// moved, so the usual request reads one atomic counter.
class KeyReader {
 public:
  // cache: nullptr when there are no virtual keys (current() is then never called).
  explicit KeyReader(const KeyCache* cache) : cache_(cache) {}
  const std::shared_ptr<const KeySnapshot>& current();

 private:
  const KeyCache* cache_;
  std::shared_ptr<const KeySnapshot> snapshot_;
  std::uint64_t version_ = ~std::uint64_t{0};
};

}  // namespace llmux::auth
