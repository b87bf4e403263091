// Decides whether a request may use the gateway: today the master key; virtual keys join later.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace llmux::auth {

// The places a client may put its key, as LiteLLM reads them.
struct PresentedHeaders {
  std::string_view authorization;      // "Bearer <key>"
  std::string_view api_key;            // Azure SDKs: api-key
  std::string_view x_api_key;          // Anthropic SDKs
  std::string_view x_goog_api_key;     // Google SDKs
  std::string_view x_litellm_api_key;  // LiteLLM's own; "Bearer <key>" or the bare key
};

// The key the client presented, or empty.
std::string_view presented_key(const PresentedHeaders& headers);

class Authenticator {
 public:
  explicit Authenticator(std::string_view master_key);
  // No master key configured: every request is let in.
  bool is_open() const { return open_; }
  // Compares in constant time, so timing does not reveal the key's contents.
  bool accepts(std::string_view key) const;

 private:
  std::string master_key_;
  bool open_ = true;
};

}  // namespace llmux::auth
