// Masks the secrets the gateway knows at one point of a call (the credentials it sent upstream,
// the client's own key) in words that came from elsewhere, an upstream's error above all, before
// they are relayed to the client, the access log or a callback. An upstream that echoes the
// Authorization header it received must not hand the operator's key to the caller.
#pragma once

#include "base/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace llmux {

class SecretMask {
 public:
  static constexpr std::string_view kMask = "[redacted]";
  // Shorter secrets are ignored: masking them would also mask ordinary words.
  static constexpr std::size_t kMinSecretBytes = 8;

  void add(std::string_view secret);
  // Every occurrence of a secret, and whatever follows "Bearer " (an Authorization value, known
  // or not), becomes kMask.
  void apply(std::string& text) const;
  // The upstream-chosen texts of an error: message, type, param, code.
  void apply(Error& error) const;

 private:
  std::vector<std::string> secrets_;
};

}  // namespace llmux
