// Values kept encrypted in the database the way LiteLLM keeps them (its encrypt_value_helper): a
// model's credentials, so that reading the database is not reading the provider keys. NaCl's
// secretbox (XSalsa20-Poly1305) under the SHA-256 of the signing key — LITELLM_SALT_KEY, else
// the master key, as LiteLLM chooses it — with a random nonce before the box, in base64. A value
// one proxy wrote, the other reads, so a LiteLLM database's models move over as they are.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace llmux::store {

// The key LiteLLM signs with: $LITELLM_SALT_KEY when set, else `master_key`. Empty: none (then
// values are kept as they are).
std::string value_signing_key(std::string_view master_key);

std::string encrypt_value(std::string_view plaintext, std::string_view signing_key);
// The plaintext, or nothing when `stored` is not a value encrypted under this key (a value kept
// in plain text, or another key's).
std::optional<std::string> decrypt_value(std::string_view stored, std::string_view signing_key);

}  // namespace llmux::store
