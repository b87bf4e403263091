#include "auth/key_cache.hpp"

#include <openssl/sha.h>

#include <algorithm>

namespace llmux::auth {

std::string hash_key(std::string_view key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * SHA256_DIGEST_LENGTH, '0');
  for (std::size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

KeyCache::KeyCache() : snapshot_(std::make_shared<const KeySnapshot>()) {}

namespace {

// The live spend a rebuilt entry gets: a known entry keeps its own (it is ahead of the database
// until the next flush) unless the database's value was just set on purpose.
std::shared_ptr<LiveSpend> live_spend_for(const std::unordered_map<std::string, std::shared_ptr<LiveSpend>>& known,
                                          const std::string& id, double database_spend,
                                          const std::vector<std::string>& reset_ids) {
  const auto it = known.find(id);
  if (it == known.end()) {
    auto fresh = std::make_shared<LiveSpend>();
    fresh->spend.store(database_spend);
    return fresh;
  }
  if (std::find(reset_ids.begin(), reset_ids.end(), id) != reset_ids.end()) it->second->spend.store(database_spend);
  return it->second;
}

}  // namespace

void KeyCache::rebuild(store::Store& store, const std::vector<std::string>& reset_tokens) {
  auto snapshot = std::make_shared<KeySnapshot>();
  std::unordered_map<std::string, std::shared_ptr<LiveSpend>> live;
  for (store::TeamRecord& record : store.all_teams()) {
    const std::string live_id = store::kTeamPrefix + record.team_id;
    CachedTeam team{.team_id = record.team_id,
                    .models = std::move(record.models),
                    .max_budget = record.max_budget,
                    .tpm_limit = record.tpm_limit,
                    .rpm_limit = record.rpm_limit,
                    .max_parallel_requests = record.max_parallel_requests,
                    .blocked = record.blocked,
                    .spend = live_spend_for(live_spend_, live_id, record.spend, reset_tokens)};
    live.emplace(live_id, team.spend);
    snapshot->teams.emplace(record.team_id, std::move(team));
  }
  auto add_budget = [&](auto& map, const std::string& prefix, const std::string& id, std::optional<double> max_budget,
                        bool blocked, double spend) {
    const std::string live_id = prefix + id;
    CachedBudget budget{.id = id, .max_budget = max_budget, .blocked = blocked,
                        .spend = live_spend_for(live_spend_, live_id, spend, reset_tokens)};
    live.emplace(live_id, budget.spend);
    map.emplace(id, std::move(budget));
  };
  for (const store::UserRecord& user : store.all_users()) {
    add_budget(snapshot->users, store::kUserPrefix, user.user_id, user.max_budget, false, user.spend);
  }
  for (const store::EndUserRecord& end_user : store.limited_end_users()) {
    add_budget(snapshot->end_users, store::kEndUserPrefix, end_user.user_id, end_user.max_budget, end_user.blocked,
               end_user.spend);
  }
  for (store::KeyRecord& record : store.all_keys()) {
    CachedKey key;
    key.token = record.token;
    key.key_name = record.key_name;
    key.key_alias = record.key_alias;
    key.models = std::move(record.models);
    for (const auto& [alias, target] : record.aliases) {
      if (target.is_string()) key.aliases.emplace(alias, target.as_string());
    }
    key.expires = record.expires;
    key.blocked = record.blocked;
    key.max_budget = record.max_budget;
    key.soft_budget = record.soft_budget;
    key.tpm_limit = record.tpm_limit;
    key.rpm_limit = record.rpm_limit;
    key.max_parallel_requests = record.max_parallel_requests;
    key.user_id = record.user_id.value_or("");
    key.team_id = record.team_id.value_or("");
    key.tags = std::move(record.tags);
    key.spend = live_spend_for(live_spend_, record.token, record.spend, reset_tokens);
    if (const auto team = snapshot->teams.find(key.team_id); team != snapshot->teams.end()) key.team = &team->second;
    if (const auto user = snapshot->users.find(key.user_id); user != snapshot->users.end()) key.user = &user->second;
    live.emplace(record.token, key.spend);
    snapshot->keys.emplace(record.token, std::move(key));
  }
  live_spend_ = std::move(live);
  snapshot_.store(std::move(snapshot), std::memory_order_release);
  version_.fetch_add(1, std::memory_order_acq_rel);
}

std::optional<double> KeyCache::live_spend(const std::string& prefixed_id) const {
  const auto it = live_spend_.find(prefixed_id);
  if (it == live_spend_.end()) return std::nullopt;
  return it->second->value();
}

void KeyCache::add_live_spend(const std::map<std::string, double>& spend_by_key) {
  for (const auto& [token, spend] : spend_by_key) {
    if (const auto it = live_spend_.find(token); it != live_spend_.end()) it->second->add(spend);
  }
}

const std::shared_ptr<const KeySnapshot>& KeyReader::current() {
  const std::uint64_t version = cache_->version();
  if (version != version_) {
    snapshot_ = cache_->snapshot();
    version_ = version;
  }
  return snapshot_;
}

}  // namespace llmux::auth
