#include "store/secret_values.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

namespace llmux::store {
namespace {

// The stored form, opened the way LiteLLM's decrypt_value_helper opens it: base64, the first 24
// bytes the nonce, the rest a secretbox under SHA-256 of the signing key (hashed here with
// OpenSSL, not with the code under test).
std::optional<std::string> open_as_litellm(const std::string& stored, const std::string& signing) {
  std::vector<unsigned char> sealed(stored.size());
  const int length =
      EVP_DecodeBlock(sealed.data(), reinterpret_cast<const unsigned char*>(stored.data()),
                      static_cast<int>(stored.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding's zero bytes in.
  const std::size_t padding = stored.ends_with("==") ? 2 : stored.ends_with("=") ? 1 : 0;
  sealed.resize(static_cast<std::size_t>(length) - padding);
  unsigned char key[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(signing.data()), signing.size(), key);
  const std::size_t box = sealed.size() - crypto_secretbox_NONCEBYTES;
  std::string plaintext(box - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plaintext.data()),
                                 sealed.data() + crypto_secretbox_NONCEBYTES, box, sealed.data(),
                                 key) != 0) {
    return std::nullopt;
  }
  return plaintext;
}

TEST(SecretValues, AnEncryptedValueOpensAsLiteLLMOpensIt) {
  const std::string stored = encrypt_value("sk-provider-secret", "sk-master");
  EXPECT_EQ(stored.find("sk-provider-secret"), std::string::npos);
  EXPECT_EQ(open_as_litellm(stored, "sk-master"), "sk-provider-secret");
  EXPECT_EQ(decrypt_value(stored, "sk-master"), "sk-provider-secret");
  EXPECT_NE(encrypt_value("sk-provider-secret", "sk-master"), stored) << "a new nonce each time";
}

TEST(SecretValues, AnotherKeyOrAPlainValueDoesNotOpen) {
  const std::string stored = encrypt_value("secret", "key-a");
  EXPECT_FALSE(decrypt_value(stored, "key-b"));
  EXPECT_FALSE(decrypt_value("openai/gpt-4o", "key-a"));
  EXPECT_FALSE(decrypt_value("c2hvcnQ=", "key-a")) << "shorter than a nonce and a tag";
}

// Found by UndefinedBehaviorSanitizer (scripts/fuzz.sh sanitized): decoding an empty value passed
// libsodium a null output buffer, which it declares never null.
TEST(SecretValues, AnEmptyValueDoesNotOpen) { EXPECT_FALSE(decrypt_value("", "key-a")); }

TEST(SecretValues, TheUrlSafeAlphabetIsReadToo) {
  std::string stored = encrypt_value(std::string(200, 'x'), "k");
  for (char& c : stored) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  EXPECT_EQ(decrypt_value(stored, "k"), std::string(200, 'x'));
}

TEST(SecretValues, TheSaltKeyIsUsedBeforeTheMasterKey) {
  ::unsetenv("LITELLM_SALT_KEY");
  EXPECT_EQ(value_signing_key("sk-master"), "sk-master");
  ::setenv("LITELLM_SALT_KEY", "salt", 1);
  EXPECT_EQ(value_signing_key("sk-master"), "salt");
  ::unsetenv("LITELLM_SALT_KEY");
}

}  // namespace
}  // namespace llmux::store
