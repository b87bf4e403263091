#include "base/error.hpp"

#include <stdexcept>

namespace llmux {

Error make_error(ErrorKind kind, std::string message, std::string param, std::string code) {
  return Error{.kind = kind,
               .message = std::move(message),
               .param = std::move(param),
               .code = std::move(code)};
}

int http_status(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_request:
    case ErrorKind::context_window_exceeded:
    case ErrorKind::content_policy:
    case ErrorKind::unsupported_params: return 400;
    case ErrorKind::unauthenticated: return 401;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::not_found:
    case ErrorKind::model_not_found: return 404;
    case ErrorKind::timeout: return 408;
    case ErrorKind::payload_too_large: return 413;
    case ErrorKind::unprocessable: return 422;
    case ErrorKind::rate_limited: return 429;
    case ErrorKind::internal: return 500;
    case ErrorKind::upstream_failed: return 502;
    case ErrorKind::unavailable: return 503;
  }
  return 500;
}

int http_status(const Error& error) noexcept {
  return error.status != 0 ? error.status : http_status(error.kind);
}

std::string_view error_type(const Error& error) noexcept {
  if (!error.type.empty()) return error.type;
  // 401 is "invalid_request_error" with code "invalid_api_key", as OpenAI itself answers.
  switch (error.kind) {
    case ErrorKind::forbidden: return "permission_error";
    case ErrorKind::rate_limited: return "rate_limit_error";
    case ErrorKind::timeout: return "timeout_error";
    case ErrorKind::internal:
    case ErrorKind::upstream_failed:
    case ErrorKind::unavailable: return "api_error";
    default: return "invalid_request_error";
  }
}

ErrorKind kind_from_status(int status) noexcept {
  switch (status) {
    case 400: return ErrorKind::invalid_request;
    case 401: return ErrorKind::unauthenticated;
    case 403: return ErrorKind::forbidden;
    case 404: return ErrorKind::not_found;
    case 408:
    case 504: return ErrorKind::timeout;
    case 413: return ErrorKind::payload_too_large;
    case 422: return ErrorKind::unprocessable;
    case 429: return ErrorKind::rate_limited;
    case 503: return ErrorKind::unavailable;
    default: break;
  }
  if (status >= 500) return ErrorKind::internal;
  return ErrorKind::invalid_request;
}

void throw_exception_from_error(const Error& error, const boost::source_location&) {
  throw std::runtime_error(error.message);
}

}  // namespace llmux
