#include "auth/authenticator.hpp"

#include <openssl/crypto.h>

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

Authenticator::Authenticator(std::string_view master_key) : master_key_(master_key), open_(master_key.empty()) {}

bool Authenticator::accepts(std::string_view key) const {
  if (open_) return true;
  // Constant time in the key's contents (CRYPTO_memcmp); only its length can show, as with
  // Python's secrets.compare_digest that LiteLLM uses. No per-request hash: it took more time
  // than the rest of the check.
  if (key.size() != master_key_.size()) return false;
  return CRYPTO_memcmp(key.data(), master_key_.data(), key.size()) == 0;
}

}  // namespace llmux::auth
