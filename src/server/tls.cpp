#include "server/tls.hpp"

#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace llmux::server {

namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2's suites with ECDHE key exchange and an AEAD cipher (TLS 1.3's are all of that kind and
// are OpenSSL's defaults).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Error startup_error(std::string message) {
  return make_error(ErrorKind::internal, std::move(message));
}

}  // namespace

Result<std::unique_ptr<ssl::context>> make_tls_server_context(const std::string& certfile_path,
                                                              const std::string& keyfile_path) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return startup_error("TLS: OpenSSL refused the protocol versions or ciphers.");
  }
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // An encrypted key would make OpenSSL prompt on the terminal: fail instead.
  context->set_password_callback(
      [](std::size_t, ssl::context::password_purpose) { return std::string(); });

  boost::system::error_code ec;
  context->use_certificate_chain_file(certfile_path, ec);
  if (ec) {
    return startup_error("TLS: cannot use the certificate file " + certfile_path + " (" +
                         ec.message() + ").");
  }
  // (OpenSSL checks here that the key is the certificate's.)
  context->use_private_key_file(keyfile_path, ssl::context::pem, ec);
  if (ec && ec.category() == boost::asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    return startup_error("TLS: the private key in " + keyfile_path +
                         " does not belong to the certificate in " + certfile_path + ".");
  }
  if (ec) {
    return startup_error("TLS: cannot use the private key file " + keyfile_path + " (" +
                         ec.message() + "); it must be an unencrypted PEM key.");
  }
  return context;
}

}  // namespace llmux::server
