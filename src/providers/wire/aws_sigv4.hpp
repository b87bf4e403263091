// AWS Signature Version 4 for one HTTP request (Bedrock's runtime API): the headers that sign it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmux::providers::wire {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;  // secret
  std::string session_token;      // secret; set for temporary credentials
};

struct AwsRequestToSign {
  std::string_view method;  // "POST"
  std::string_view host;  // "bedrock-runtime.us-east-1.amazonaws.com" (with ":port" if not default)
  std::string_view path;  // as sent, already percent-encoded: "/model/a.b-v1%3A0/converse"
  std::string_view query;  // as sent, without '?'; empty for Bedrock
  // Headers sent besides Host and the ones this adds (e.g. content-type); all are signed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  // sent byte for byte as hashed
  std::string_view region;
  std::string_view service;  // "bedrock"
};

// "20250101T000000Z"
std::string aws_timestamp(std::chrono::system_clock::time_point when);

// The headers to add to the request: x-amz-date, x-amz-security-token (temporary credentials),
// and Authorization. `amz_date` is aws_timestamp() of the signing time.
std::vector<std::pair<std::string, std::string>> sign_v4(const AwsRequestToSign& request,
                                                         const AwsCredentials& credentials,
                                                         std::string_view amz_date);

// The pieces, exposed for tests against published vectors.
std::string canonical_request(const AwsRequestToSign& request, std::string_view amz_date,
                              std::string_view session_token, std::string& signed_headers);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical);

}  // namespace llmux::providers::wire
