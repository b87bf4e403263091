#include "store/secret_values.hpp"

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace llmux::store {

namespace {

using Key = std::array<unsigned char, crypto_secretbox_KEYBYTES>;

Key key_of(std::string_view signing_key) {
  static_assert(crypto_hash_sha256_BYTES == crypto_secretbox_KEYBYTES);
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
  Key key{};
  crypto_hash_sha256(key.data(), reinterpret_cast<const unsigned char*>(signing_key.data()),
                     signing_key.size());
  return key;
}

std::optional<std::vector<unsigned char>> from_base64(std::string_view text) {
  // Nothing to decode; and libsodium's output buffer may not be null (an empty vector's is).
  if (text.empty()) return std::nullopt;
  std::vector<unsigned char> bytes(text.size());
  // LiteLLM writes the standard alphabet and reads either (urlsafe_b64decode): so does llmux.
  for (const int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_URLSAFE}) {
    std::size_t length = 0;
    if (sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr, &length,
                          nullptr, variant) == 0) {
      bytes.resize(length);
      return bytes;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string value_signing_key(std::string_view master_key) {
  if (const char* salt = std::getenv("LITELLM_SALT_KEY"); salt && *salt) return salt;
  return std::string(master_key);
}

std::string encrypt_value(std::string_view plaintext, std::string_view signing_key) {
  const Key key = key_of(signing_key);
  std::vector<unsigned char> sealed(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                    plaintext.size());
  randombytes_buf(sealed.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(sealed.data() + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        sealed.data(), key.data());
  std::string text(sodium_base64_ENCODED_LEN(sealed.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(text.data(), text.size(), sealed.data(), sealed.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  text.resize(text.find('\0'));
  return text;
}

std::optional<std::string> decrypt_value(std::string_view stored, std::string_view signing_key) {
  const auto sealed = from_base64(stored);
  if (!sealed || sealed->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return std::nullopt;
  const Key key = key_of(signing_key);
  const std::size_t box = sealed->size() - crypto_secretbox_NONCEBYTES;
  std::string plaintext(box - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plaintext.data()),
                                 sealed->data() + crypto_secretbox_NONCEBYTES, box, sealed->data(),
                                 key.data()) != 0) {
    return std::nullopt;
  }
  return plaintext;
}

}  // namespace llmux::store
