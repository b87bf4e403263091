// A throwaway service-account key for the Google OAuth and Vertex tests: an RSA key generated
// once per test binary with OpenSSL, and the key file's JSON around it.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <memory>
#include <string>

namespace llmux::providers::test_support {

// A throwaway RSA key, made once for the whole test binary.
struct KeyPair {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{EVP_RSA_gen(2048), &EVP_PKEY_free};
  std::string private_pem() const {
    return pem([this](BIO* bio) {
      PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
  }
  // For a token endpoint that verifies the assertions (the mock upstream's).
  std::string public_pem() const {
    return pem([this](BIO* bio) { PEM_write_bio_PUBKEY(bio, key.get()); });
  }

 private:
  template <class Write>
  static std::string pem(Write write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    write(bio.get());
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
  }
};

inline const KeyPair& key_pair() {
  static const KeyPair pair;
  return pair;
}

inline std::string key_json(
    const std::string& extra_fields = R"("private_key_id":"kid-123","project_id":"proj-1",)") {
  boost::json::object object =
      boost::json::parse("{" + extra_fields + R"("type":"service_account"})").as_object();
  object["client_email"] = "llmux-test@proj-1.iam.gserviceaccount.com";
  object["private_key"] = key_pair().private_pem();
  object["token_uri"] = "https://oauth2.example.test/token";
  return boost::json::serialize(object);
}

}  // namespace llmux::providers::test_support
