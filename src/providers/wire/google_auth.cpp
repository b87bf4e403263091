#include "providers/wire/google_auth.hpp"

#include "net/percent_encoding.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <sstream>

namespace llmux::providers::wire {

namespace json = boost::json;

namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct DigestFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

std::unique_ptr<EVP_PKEY, KeyFree> read_private_key(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return std::unique_ptr<EVP_PKEY, KeyFree>(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

Error key_problem(std::string message) {
  return make_error(ErrorKind::invalid_request, std::move(message));
}

std::string string_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string base64url(std::string_view bytes) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(bytes[at]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned triple = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(triple >> 18) & 63];
    out += kAlphabet[(triple >> 12) & 63];
    out += kAlphabet[(triple >> 6) & 63];
    out += kAlphabet[triple & 63];
  }
  if (const auto rest = bytes.size() - i; rest > 0) {  // no '=' padding in base64url (RFC 7515)
    const unsigned triple = (byte(i) << 16) | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += kAlphabet[(triple >> 18) & 63];
    out += kAlphabet[(triple >> 12) & 63];
    if (rest == 2) out += kAlphabet[(triple >> 6) & 63];
  }
  return out;
}

Result<ServiceAccount> parse_service_account(std::string_view text) {
  json::error_code ec;
  const json::value parsed = json::parse(text, ec);
  // The parser's message could quote the key material: say only that it is not JSON.
  if (ec || !parsed.is_object())
    return key_problem("the service-account key is not a JSON object.");
  const auto& object = parsed.get_object();
  const std::string type = string_field(object, "type");
  if (!type.empty() && type != "service_account") {
    return key_problem("credentials of type '" + type +
                       "' are not supported; use a service-account key (type service_account).");
  }
  ServiceAccount account{
      .client_email = string_field(object, "client_email"),
      .private_key_pem = string_field(object, "private_key"),
      .private_key_id = string_field(object, "private_key_id"),
      .project_id = string_field(object, "project_id"),
      .token_uri = string_field(object, "token_uri"),
  };
  if (account.client_email.empty())
    return key_problem("the service-account key has no client_email.");
  if (account.private_key_pem.empty())
    return key_problem("the service-account key has no private_key.");
  if (!read_private_key(account.private_key_pem)) {
    return key_problem("the service-account key's private_key is not a PEM private key.");
  }
  if (account.token_uri.empty()) account.token_uri = kGoogleDefaultTokenUri;
  return account;
}

Result<ServiceAccount> load_service_account(std::string_view path_or_json) {
  const auto first = path_or_json.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && path_or_json[first] == '{')
    return parse_service_account(path_or_json);
  std::string path(path_or_json);
  while (!path.empty() && is_blank(path.back())) path.pop_back();
  std::ifstream file(path, std::ios::binary);
  if (!file) return key_problem("cannot read the service-account key file '" + path + "'.");
  std::ostringstream text;
  text << file.rdbuf();
  auto account = parse_service_account(text.str());
  if (!account) return key_problem("'" + path + "': " + account.error().message);
  return account;
}

Result<std::string> sign_jwt_assertion(const ServiceAccount& account, std::string_view scope,
                                       std::string_view audience, std::int64_t issued_at) {
  json::object header{{"alg", "RS256"}, {"typ", "JWT"}};
  if (!account.private_key_id.empty()) header["kid"] = account.private_key_id;
  const json::object claims{
      {"iss", account.client_email},
      {"scope", scope},
      {"aud", audience},
      {"iat", issued_at},
      {"exp", issued_at + kAssertionLifetimeSeconds},
  };
  std::string signing_input = base64url(json::serialize(header));
  signing_input += '.';
  signing_input += base64url(json::serialize(claims));

  const auto key = read_private_key(account.private_key_pem);
  const std::unique_ptr<EVP_MD_CTX, DigestFree> context(EVP_MD_CTX_new());
  std::size_t length = 0;
  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  if (!key || !context ||
      EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length, input, signing_input.size()) != 1) {
    return make_error(ErrorKind::internal, "cannot sign the service account's JWT assertion (" +
                                               account.client_email + ").");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     input, signing_input.size()) != 1) {
    return make_error(ErrorKind::internal, "cannot sign the service account's JWT assertion (" +
                                               account.client_email + ").");
  }
  signature.resize(length);
  signing_input += '.';
  signing_input += base64url(signature);
  return signing_input;
}

std::string token_request_body(std::string_view assertion) {
  std::string body = "grant_type=";
  net::append_percent_encoded(body, "urn:ietf:params:oauth:grant-type:jwt-bearer");
  body += "&assertion=";
  net::append_percent_encoded(body, assertion);
  return body;
}

Result<AccessToken> parse_token_response(int status, std::string_view body) {
  unsigned char buffer[1024];
  json::monotonic_resource arena(buffer, sizeof buffer);
  json::error_code ec;
  const json::value parsed = json::parse(body, ec, json::storage_ptr(&arena));
  const auto* object = ec ? nullptr : parsed.if_object();
  if (status < 200 || status >= 300) {
    std::string reason = "the token endpoint answered " + std::to_string(status);
    if (object) {
      const std::string error = string_field(*object, "error");
      const std::string description = string_field(*object, "error_description");
      if (!error.empty()) reason += ": " + error;
      if (!description.empty()) reason += " (" + description + ")";
    }
    return make_error(kind_from_status(status), std::move(reason));
  }
  if (!object)
    return make_error(ErrorKind::upstream_failed,
                      "the token endpoint's answer is not a JSON object");
  AccessToken token{.value = string_field(*object, "access_token")};
  const auto* expires_in = object->if_contains("expires_in");
  if (token.value.empty() || !expires_in || !expires_in->is_number()) {
    return make_error(ErrorKind::upstream_failed,
                      "the token endpoint's answer has no access_token and expires_in");
  }
  token.expires_in =
      std::chrono::seconds(static_cast<std::int64_t>(expires_in->to_number<double>()));
  return token;
}

Result<std::string> GoogleAccessToken::bearer() const {
  const auto state = state_.load(std::memory_order_acquire);
  if (!state->authorization.empty()) return state->authorization;
  std::string message = owner_;
  message += ": no Google OAuth access token for service account " + account_.client_email + " yet";
  if (!state->failure.empty()) message += " (" + state->failure + ")";
  message += ".";
  return make_error(state->refused ? ErrorKind::unauthenticated : ErrorKind::unavailable,
                    std::move(message));
}

void GoogleAccessToken::publish(std::string token) {
  state_.store(std::make_shared<const State>(State{.authorization = "Bearer " + token}),
               std::memory_order_release);
}

void GoogleAccessToken::report_failure(std::string reason, bool refused, bool token_expired) {
  const auto current = state_.load(std::memory_order_acquire);
  State next{.authorization = token_expired ? std::string() : current->authorization,
             .failure = std::move(reason),
             .refused = refused};
  state_.store(std::make_shared<const State>(std::move(next)), std::memory_order_release);
}

}  // namespace llmux::providers::wire
