#include "auth/authenticator.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

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

std::array<unsigned char, 32> digest(std::string_view text) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
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

Authenticator::Authenticator(std::string_view master_key) : open_(master_key.empty()) {
  if (!open_) master_digest_ = digest(master_key);
}

bool Authenticator::accepts(std::string_view key) const {
  if (open_) return true;
  if (key.empty()) return false;
  const auto presented = digest(key);
  return CRYPTO_memcmp(presented.data(), master_digest_.data(), presented.size()) == 0;
}

}  // namespace llmux::auth
