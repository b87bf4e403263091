#include "auth/ui_sessions.hpp"

#include "auth/key_cache.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace llmux::auth {

namespace {

// Equal, in time that depends on the lengths only: both sides are hashed to one length first.
bool same_secret(std::string_view presented, std::string_view expected) {
  const std::string a = hash_key(presented);
  const std::string b = hash_key(expected);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  token.reserve(2 * sizeof bytes);
  for (unsigned char byte : bytes) {
    token.push_back(kHex[byte >> 4]);
    token.push_back(kHex[byte & 0xF]);
  }
  return token;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view cookie_value(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    const auto end = cookie_header.find(';');
    const std::string_view pair = trimmed(cookie_header.substr(0, end));
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name)
      return pair.substr(equals + 1);
    if (end == std::string_view::npos) break;
    cookie_header.remove_prefix(end + 1);
  }
  return {};
}

UiSessions::UiSessions(const Authenticator& authenticator, std::optional<UiCredentials> credentials,
                       store::Millis lifetime_ms, std::size_t max_sessions)
    : authenticator_(authenticator),
      credentials_(std::move(credentials)),
      lifetime_ms_(lifetime_ms),
      max_sessions_(std::max<std::size_t>(1, max_sessions)) {}

bool UiSessions::accepts_login(std::string_view username, std::string_view password) const {
  if (authenticator_.is_open()) return true;
  if (!password.empty() && authenticator_.accepts(password)) return true;
  if (!credentials_) return false;
  // Both compared, always: which one was wrong does not show in the time taken.
  const bool user = same_secret(username, credentials_->username);
  const bool pass = same_secret(password, credentials_->password);
  return user && pass;
}

store::Millis UiSessions::login_refused_for(const std::string& address, store::Millis now) const {
  const std::lock_guard lock(mutex_);
  if (now / 60'000 != failure_minute_) return 0;
  const auto counted = failures_by_address_.find(address);
  const bool refused = counted == failures_by_address_.end()
                           ? failures_by_address_.size() >= kMaxCountedAddresses
                           : counted->second >= kMaxFailedLogins;
  return refused ? 60'000 - now % 60'000 : 0;
}

void UiSessions::login_failed(const std::string& address, store::Millis now) {
  const std::lock_guard lock(mutex_);
  if (now / 60'000 != failure_minute_) {
    failure_minute_ = now / 60'000;
    failures_by_address_.clear();
  }
  if (failures_by_address_.size() >= kMaxCountedAddresses &&
      !failures_by_address_.contains(address)) {
    return;  // refused until the next minute anyway
  }
  ++failures_by_address_[address];
}

std::string UiSessions::open(store::Millis now) {
  std::string token = random_token();
  const std::lock_guard lock(mutex_);
  if (expiry_by_hash_.size() >= max_sessions_) {
    std::erase_if(expiry_by_hash_, [now](const auto& entry) { return entry.second <= now; });
  }
  if (expiry_by_hash_.size() >= max_sessions_) {
    expiry_by_hash_.erase(
        std::min_element(expiry_by_hash_.begin(), expiry_by_hash_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; }));
  }
  expiry_by_hash_.emplace(hash_key(token), now + lifetime_ms_);
  return token;
}

bool UiSessions::valid(std::string_view token, store::Millis now) const {
  if (token.empty()) return false;
  const std::string hash = hash_key(token);
  const std::lock_guard lock(mutex_);
  const auto found = expiry_by_hash_.find(hash);
  return found != expiry_by_hash_.end() && now < found->second;
}

void UiSessions::close(std::string_view token) {
  if (token.empty()) return;
  const std::string hash = hash_key(token);
  const std::lock_guard lock(mutex_);
  expiry_by_hash_.erase(hash);
}

}  // namespace llmux::auth
