// The one error type of the request path: what went wrong, and how to tell the client.
#pragma once

#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace llmux {

// Each kind has one HTTP status (http_status) and one OpenAI error type (error_type).
enum class ErrorKind {
  invalid_request,          // 400
  context_window_exceeded,  // 400, code context_length_exceeded
  content_policy,           // 400, code content_policy_violation
  unsupported_params,       // 400
  unauthenticated,          // 401
  forbidden,                // 403
  not_found,                // 404
  model_not_found,          // 404, code model_not_found
  timeout,                  // 408: the upstream did not answer in time
  payload_too_large,        // 413
  unprocessable,            // 422
  rate_limited,             // 429
  internal,                 // 500: a bug or an unexpected upstream answer
  upstream_failed,          // 502: the upstream could not be reached or sent garbage
  unavailable,              // 503
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;  // shown to the client; never holds a secret
  std::string param;    // the offending request field, if any
  std::string code;     // OpenAI's "code" (e.g. "invalid_api_key"); empty = derived from kind
  int status = 0;       // an upstream's own HTTP status, kept as is; 0 = http_status(kind)
  std::string type;     // an upstream's own error type, kept as is; empty = error_type(kind)
  std::optional<std::chrono::seconds> retry_after;
};

// Builds an Error where a braced temporary cannot stand: GCC 12 miscompiles an aggregate
// temporary holding strings in a co_await expression (its strings are freed from the wrong
// address), so coroutines pass make_error(...) instead of Error{...} to awaited calls.
Error make_error(ErrorKind kind, std::string message, std::string param = {},
                 std::string code = {});

int http_status(ErrorKind kind) noexcept;
int http_status(const Error& error) noexcept;
std::string_view error_type(const Error& error) noexcept;
// The kind an upstream's HTTP status maps to (LiteLLM's exception mapping).
ErrorKind kind_from_status(int status) noexcept;

template <class T>
using Result = boost::system::result<T, Error>;

// Lets Result<T>::value() throw; only startup code calls value() on an error.
[[noreturn]] void throw_exception_from_error(const Error& error, const boost::source_location&);

}  // namespace llmux
