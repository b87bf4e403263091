// TLS on the listener: the server context every accepted connection's handshake uses.
#pragma once

#include "base/error.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace llmux::server {

// A context serving the certificate chain in `certfile_path` (PEM, the server's certificate first)
// with the private key in `keyfile_path` (PEM, unencrypted): TLS 1.2 and 1.3 only, TLS 1.2 with
// forward-secret AEAD ciphers only, no renegotiation, no compression. An unreadable file, a key
// behind a passphrase or a key that is not the certificate's is an error naming the file.
Result<std::unique_ptr<boost::asio::ssl::context>> make_tls_server_context(
    const std::string& certfile_path, const std::string& keyfile_path);

}  // namespace llmux::server
