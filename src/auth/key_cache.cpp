#include "auth/key_cache.hpp"

#include "config/logging_metadata.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace llmux::auth {

namespace {

// OpenSSL 3's one-shot SHA256() looks the algorithm up (locks included) on every call: half the
// cost of hashing a key. The algorithm is fetched once, and each thread keeps its own context.
struct Sha256 {
  Sha256()
      : algorithm(EVP_MD_fetch(nullptr, "SHA256", nullptr), EVP_MD_free),
        context(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    if (!algorithm || !context) throw std::runtime_error("OpenSSL has no SHA-256");
  }
  void digest(std::string_view data, unsigned char (&out)[SHA256_DIGEST_LENGTH]) {
    if (EVP_DigestInit_ex2(context.get(), algorithm.get(), nullptr) != 1 ||
        EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(context.get(), out, nullptr) != 1) {
      throw std::runtime_error("SHA-256 failed");
    }
  }
  std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> algorithm;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context;
};

}  // namespace

std::string hash_key(std::string_view key) {
  thread_local Sha256 sha256;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  sha256.digest(key, digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * SHA256_DIGEST_LENGTH, '0');
  for (std::size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

KeyCache::KeyCache(std::optional<double> default_end_user_budget)
    : default_end_user_budget_(default_end_user_budget),
      snapshot_(std::make_shared<const KeySnapshot>(
          KeySnapshot{.default_end_user_budget = default_end_user_budget})) {}

namespace {

// The live spend a rebuilt entry gets: a known entry keeps its own (it is ahead of the database
// until the next flush) unless the database's value was just set on purpose.
std::shared_ptr<LiveSpend> live_spend_for(
    const std::unordered_map<std::string, std::shared_ptr<LiveSpend>>& known, const std::string& id,
    double database_spend, const std::vector<std::string>& reset_ids) {
  const auto it = known.find(id);
  if (it == known.end()) {
    auto fresh = std::make_shared<LiveSpend>();
    fresh->spend.store(database_spend);
    return fresh;
  }
  if (std::find(reset_ids.begin(), reset_ids.end(), id) != reset_ids.end())
    it->second->spend.store(database_spend);
  return it->second;
}

// A model budget's live spend: a known one keeps counting; a new one (a new key, budget or
// window length) starts from the spend log of its current window, which holds every call but
// those of the last flush interval.
std::shared_ptr<WindowSpend> model_spend_for(
    const std::unordered_map<std::string, std::shared_ptr<WindowSpend>>& known,
    const std::string& id, store::Store& store, const CachedKey& key, const ModelBudget& budget,
    store::Millis now) {
  if (const auto it = known.find(id); it != known.end()) return it->second;
  const store::Millis since =
      budget.period ? store::window_containing(now, *budget.period).start : 0;
  double spend = 0;
  for (const auto& [model_group, group_spend] : store.key_spend_by_model_group(key.token, since)) {
    if (find_model_budget(key.model_budgets, model_group) == &budget) spend += group_spend;
  }
  return std::make_shared<WindowSpend>(budget.period, now, spend);
}

// The callbacks a key's or team's metadata.logging names, their os.environ/ values read now.
std::shared_ptr<const std::vector<config::LoggingCallback>> logging_of(
    const boost::json::object& metadata) {
  if (!metadata.contains("logging")) return nullptr;
  auto callbacks = config::logging_callbacks(metadata, [](std::string_view name) {
    const char* value = std::getenv(std::string(name).c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  });
  return std::make_shared<const std::vector<config::LoggingCallback>>(std::move(callbacks));
}

}  // namespace

void KeyCache::rebuild(store::Store& store, const std::vector<std::string>& reset_tokens) {
  auto snapshot = std::make_shared<KeySnapshot>();
  std::unordered_map<std::string, std::shared_ptr<LiveSpend>> live;
  std::unordered_map<std::string, std::shared_ptr<WindowSpend>> model_spend;
  const store::Millis now = store::now_millis();
  auto add_owner = [&](auto& map, std::string_view kind, const std::string& prefix,
                       const std::string& id, auto& record) {
    CachedOwner owner{.id = id,
                      .kind = kind,
                      .subject = prefix + id,
                      .models = std::move(record.models),
                      .max_budget = record.max_budget,
                      .budget_reset_at = record.budget_reset_at,
                      .tpm_limit = record.tpm_limit,
                      .rpm_limit = record.rpm_limit,
                      .max_parallel_requests = record.max_parallel_requests};
    owner.spend = live_spend_for(live_spend_, owner.subject, record.spend, reset_tokens);
    live.emplace(owner.subject, owner.spend);
    return &map.emplace(id, std::move(owner)).first->second;
  };
  for (store::TeamRecord& record : store.all_teams()) {
    CachedOwner* team =
        add_owner(snapshot->teams, "team", store::kTeamPrefix, record.team_id, record);
    team->alias = record.team_alias;
    team->blocked = record.blocked;
    team->logging = logging_of(record.metadata);
  }
  for (store::UserRecord& record : store.all_users()) {
    add_owner(snapshot->users, "user", store::kUserPrefix, record.user_id, record);
  }
  snapshot->default_end_user_budget = default_end_user_budget_;
  for (const store::EndUserRecord& end_user :
       default_end_user_budget_ ? store.all_end_users() : store.limited_end_users()) {
    const std::string live_id = store::kEndUserPrefix + end_user.user_id;
    CachedBudget budget{
        .id = end_user.user_id,
        .max_budget = end_user.max_budget ? end_user.max_budget : default_end_user_budget_,
        .blocked = end_user.blocked,
        .spend = live_spend_for(live_spend_, live_id, end_user.spend, reset_tokens)};
    live.emplace(live_id, budget.spend);
    snapshot->end_users.emplace(end_user.user_id, std::move(budget));
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
    key.budget_reset_at = record.budget_reset_at;
    // Checked when written: only a row edited by hand can fail here, and it then limits nothing.
    if (auto budgets = parse_model_max_budget(record.model_max_budget))
      key.model_budgets = std::move(*budgets);
    key.tpm_limit = record.tpm_limit;
    key.rpm_limit = record.rpm_limit;
    key.max_parallel_requests = record.max_parallel_requests;
    key.user_id = record.user_id.value_or("");
    key.team_id = record.team_id.value_or("");
    key.tags = std::move(record.tags);
    key.allowed_cache_controls = std::move(record.allowed_cache_controls);
    if (const boost::json::value* controls = record.metadata.if_contains("cache"))
      key.cache_controls = *controls;
    const bool known = live_spend_.contains(record.token);
    key.spend = live_spend_for(live_spend_, record.token, record.spend, reset_tokens);
    // A key already past its soft budget when first seen (at start) warned before; one back under
    // it warns again at the next crossing.
    const bool over_soft_budget = key.soft_budget && key.spend->value() >= *key.soft_budget;
    if (!over_soft_budget) key.spend->soft_budget_warned.store(false);
    if (!known && over_soft_budget) key.spend->soft_budget_warned.store(true);
    for (ModelBudget& budget : key.model_budgets) {
      const std::string id = record.token + '\n' + budget.model + '\n' + budget.period_text;
      budget.spend = model_spend_for(model_spend_, id, store, key, budget, now);
      model_spend.emplace(id, budget.spend);
    }
    if (const auto team = snapshot->teams.find(key.team_id); team != snapshot->teams.end())
      key.team = &team->second;
    // A key's own list, even an empty one, takes the place of its team's (as LiteLLM's does).
    if (record.metadata.contains("logging"))
      key.logging = logging_of(record.metadata);
    else if (key.team)
      key.logging = key.team->logging;
    if (const auto user = snapshot->users.find(key.user_id); user != snapshot->users.end())
      key.user = &user->second;
    live.emplace(record.token, key.spend);
    snapshot->keys.emplace(record.token, std::move(key));
  }
  live_spend_ = std::move(live);
  model_spend_ = std::move(model_spend);
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
