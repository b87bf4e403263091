#include "base/secret_mask.hpp"

#include <algorithm>

namespace llmux {

namespace {

bool is_token_byte(char c) {
  return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '"' && c != '\'' && c != ',' &&
         c != ';' && c != '\\';
}

// "Bearer " in any case, then the token after it.
void mask_bearer_tokens(std::string& text) {
  constexpr std::string_view kBearer = "bearer ";
  for (std::size_t at = 0; at + kBearer.size() < text.size();) {
    const bool match = std::equal(
        kBearer.begin(), kBearer.end(), text.begin() + static_cast<std::ptrdiff_t>(at),
        [](char want, char c) { return want == (c | (c >= 'A' && c <= 'Z' ? 0x20 : 0)); });
    if (!match) {
      ++at;
      continue;
    }
    const std::size_t start = at + kBearer.size();
    std::size_t end = start;
    while (end < text.size() && is_token_byte(text[end])) ++end;
    if (end == start || text.compare(start, end - start, SecretMask::kMask) == 0) {
      at = end == start ? start : end;
      continue;
    }
    text.replace(start, end - start, SecretMask::kMask);
    at = start + SecretMask::kMask.size();
  }
}

}  // namespace

void SecretMask::add(std::string_view secret) {
  if (secret.size() < kMinSecretBytes) return;
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.emplace_back(secret);
  // A longer secret first, so one that contains another is masked whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void SecretMask::apply(std::string& text) const {
  for (const std::string& secret : secrets_) {
    for (auto at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + kMask.size())) {
      text.replace(at, secret.size(), kMask);
    }
  }
  mask_bearer_tokens(text);
}

void SecretMask::apply(Error& error) const {
  apply(error.message);
  apply(error.type);
  apply(error.param);
  apply(error.code);
}

}  // namespace llmux
