// Google service-account OAuth (Vertex AI): the pure parts. A service account's JSON key is parsed
// here, an RS256-signed JWT assertion is built from it (OpenSSL EVP), and the token endpoint's
// answer is read. Fetching happens off the request path (relay/google_token_refresher), which
// publishes each token into the deployment's GoogleAccessToken; providers only read it.
#pragma once

#include "base/error.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace llmux::providers::wire {

inline constexpr std::string_view kGoogleDefaultTokenUri = "https://oauth2.googleapis.com/token";
inline constexpr std::string_view kCloudPlatformScope =
    "https://www.googleapis.com/auth/cloud-platform";
// A signed assertion is valid for one hour, the longest Google accepts.
inline constexpr std::int64_t kAssertionLifetimeSeconds = 3600;

struct ServiceAccount {
  std::string client_email;
  std::string private_key_pem;  // secret
  std::string private_key_id;   // the JWT's "kid" (empty: left out)
  std::string project_id;
  std::string token_uri;  // the JSON's, else Google's default
};

// A service-account key file's JSON. Errors name the missing or bad field, never its value (the
// caller says where the key came from).
Result<ServiceAccount> parse_service_account(std::string_view json);
// `path_or_json`: the JSON itself (its first non-blank character is '{') or a file path, as
// LiteLLM's vertex_credentials and GOOGLE_APPLICATION_CREDENTIALS take it.
Result<ServiceAccount> load_service_account(std::string_view path_or_json);

// The JWT assertion: header {"alg":"RS256","typ":"JWT"[,"kid"]}, claims iss, scope, aud, iat,
// exp = iat + kAssertionLifetimeSeconds; signed with the account's key.
Result<std::string> sign_jwt_assertion(const ServiceAccount& account, std::string_view scope,
                                       std::string_view audience, std::int64_t issued_at);
// The token endpoint's form body for that assertion (RFC 7523 jwt-bearer grant).
std::string token_request_body(std::string_view assertion);

struct AccessToken {
  std::string value;  // secret
  std::chrono::seconds expires_in{};
};
// {"access_token", "expires_in", …} on 2xx; for any other status an error that quotes Google's
// "error" / "error_description" (which name the problem, not the secret).
Result<AccessToken> parse_token_response(int status, std::string_view body);

std::string base64url(std::string_view bytes);

// The current access token of one service account, shared by every worker: the refresher
// publishes, the request path reads (one atomic load, no lock). Until a token is published, or
// after it expired without a successful refresh, `bearer()` fails with the last failure.
class GoogleAccessToken {
 public:
  // `owner` names the deployment in errors and log lines.
  GoogleAccessToken(ServiceAccount account, std::string token_uri, std::string owner)
      : account_(std::move(account)), token_uri_(std::move(token_uri)), owner_(std::move(owner)) {}

  const ServiceAccount& account() const { return account_; }
  const std::string& token_uri() const { return token_uri_; }
  const std::string& owner() const { return owner_; }

  // "Bearer <token>", or a 401 (the token endpoint refused the account) / 503 (no answer yet or
  // it failed) that names the owner and the failure, never a secret.
  Result<std::string> bearer() const;

  void publish(std::string token);
  // A refresh failed: keep serving a token that is still valid, else report `reason`.
  void report_failure(std::string reason, bool refused, bool token_expired);

 private:
  struct State {
    std::string authorization;  // "Bearer …"; empty: none usable
    std::string failure;
    bool refused = false;
  };
  ServiceAccount account_;
  std::string token_uri_;
  std::string owner_;
  std::atomic<std::shared_ptr<const State>> state_{std::make_shared<const State>()};
};

}  // namespace llmux::providers::wire
