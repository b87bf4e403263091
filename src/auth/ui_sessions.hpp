// The admin page's logins (/ui): who may log in (the master key, or LiteLLM's UI_USERNAME /
// UI_PASSWORD), and the sessions a login opens. A session is a random token the browser holds in
// an HttpOnly cookie; the server keeps only its SHA-256 and its expiry. One object shared by every
// worker: a login is rare, so a mutex is enough.
#pragma once

#include "auth/authenticator.hpp"
#include "store/store.hpp"

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace llmux::auth {

// LiteLLM's UI_USERNAME / UI_PASSWORD: a login for the page besides the master key.
struct UiCredentials {
  std::string username;
  std::string password;
};

// The cookie that carries a session, and the header every request of the page sends with it: a
// cross-site page cannot add a header without a CORS preflight, which the gateway never grants.
inline constexpr std::string_view kUiSessionCookie = "llmux_ui_session";
inline constexpr std::string_view kUiRequestHeader = "x-llmux-ui";

// The value of cookie `name` in a Cookie header; empty when absent.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

class UiSessions {
 public:
  UiSessions(const Authenticator& authenticator, std::optional<UiCredentials> credentials,
             store::Millis lifetime_ms, std::size_t max_sessions = 10'000);

  // The password is the master key (any username), or the pair is UI_USERNAME / UI_PASSWORD.
  // Constant time in the secrets' contents.
  bool accepts_login(std::string_view username, std::string_view password) const;
  // Failed logins are counted per client address and clock minute: past kMaxFailedLogins in a
  // minute, no login from that address is tried until the next one (a guesser gets that many
  // tries a minute; the other admins still log in). At most kMaxCountedAddresses addresses are
  // counted a minute: past that (guesses from that many addresses), a login from any other
  // address is refused too, which bounds both the memory and the guesses. The milliseconds left
  // in the minute when refused, else 0.
  static constexpr int kMaxFailedLogins = 10;
  static constexpr std::size_t kMaxCountedAddresses = 1024;
  store::Millis login_refused_for(const std::string& address, store::Millis now) const;
  void login_failed(const std::string& address, store::Millis now);
  // A new session's token. At max_sessions, expired sessions go first, then the oldest.
  std::string open(store::Millis now);
  bool valid(std::string_view token, store::Millis now) const;
  void close(std::string_view token);
  store::Millis lifetime_ms() const { return lifetime_ms_; }

 private:
  const Authenticator& authenticator_;
  std::optional<UiCredentials> credentials_;
  store::Millis lifetime_ms_;
  std::size_t max_sessions_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, store::Millis> expiry_by_hash_;
  store::Millis failure_minute_ = -1;                         // guarded by mutex_
  std::unordered_map<std::string, int> failures_by_address_;  // in failure_minute_; guarded
};

}  // namespace llmux::auth
