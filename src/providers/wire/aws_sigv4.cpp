#include "providers/wire/aws_sigv4.hpp"

#include "base/utc_time.hpp"
#include "net/percent_encoding.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

namespace llmux::providers::wire {

namespace {

using Digest = std::string;  // 32 raw bytes

Digest sha256(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return Digest(reinterpret_cast<const char*>(out), sizeof out);
}

Digest hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return Digest(reinterpret_cast<const char*>(out), length);
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char byte : bytes) {
    out += kDigits[(static_cast<unsigned char>(byte) >> 4) & 0xF];
    out += kDigits[static_cast<unsigned char>(byte) & 0xF];
  }
  return out;
}

// Header values are trimmed and inner runs of spaces folded to one.
std::string trimmed(std::string_view value) {
  std::string out;
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The query's name=value pairs as sent (already percent-encoded), sorted by name then value.
std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    pairs.emplace_back(std::string(pair.substr(0, eq)),
                       eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  std::ranges::sort(pairs);
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

}  // namespace

std::string aws_timestamp(std::chrono::system_clock::time_point when) {
  return utc_text(std::chrono::system_clock::to_time_t(when), "%Y%m%dT%H%M%SZ");
}

std::string canonical_request(const AwsRequestToSign& request, std::string_view amz_date,
                              std::string_view session_token, std::string& signed_headers) {
  std::map<std::string, std::string> headers;  // sorted by lowercase name
  for (const auto& [name, value] : request.headers) headers[lowercase(name)] = trimmed(value);
  headers["host"] = trimmed(request.host);
  headers["x-amz-date"] = std::string(amz_date);
  if (!session_token.empty()) headers["x-amz-security-token"] = std::string(session_token);

  std::string canonical(request.method);
  canonical += '\n';
  // Services other than S3 sign each path segment encoded once more than it is sent.
  canonical += net::percent_encoded(request.path.empty() ? std::string_view("/") : request.path,
                                    /*keep_slash=*/true);
  canonical += '\n';
  canonical += canonical_query(request.query);
  canonical += '\n';
  signed_headers.clear();
  for (const auto& [name, value] : headers) {
    canonical += name + ':' + value + '\n';
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
  }
  canonical += '\n';
  canonical += signed_headers;
  canonical += '\n';
  canonical += hex(sha256(request.body));
  return canonical;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical) {
  std::string text = "AWS4-HMAC-SHA256\n";
  text += amz_date;
  text += '\n';
  text += scope;
  text += '\n';
  text += hex(sha256(canonical));
  return text;
}

std::vector<std::pair<std::string, std::string>> sign_v4(const AwsRequestToSign& request,
                                                         const AwsCredentials& credentials,
                                                         std::string_view amz_date) {
  const std::string_view date = amz_date.substr(0, 8);
  std::string scope(date);
  scope.append("/")
      .append(request.region)
      .append("/")
      .append(request.service)
      .append("/aws4_request");
  std::string signed_headers;
  const std::string canonical =
      canonical_request(request, amz_date, credentials.session_token, signed_headers);
  const Digest key =
      hmac(hmac(hmac(hmac("AWS4" + credentials.secret_access_key, date), request.region),
                request.service),
           "aws4_request");
  const std::string signature = hex(hmac(key, string_to_sign(amz_date, scope, canonical)));

  std::vector<std::pair<std::string, std::string>> added;
  added.emplace_back("x-amz-date", std::string(amz_date));
  if (!credentials.session_token.empty())
    added.emplace_back("x-amz-security-token", credentials.session_token);
  added.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id +
                                          "/" + scope + ", SignedHeaders=" + signed_headers +
                                          ", Signature=" + signature);
  return added;
}

}  // namespace llmux::providers::wire
