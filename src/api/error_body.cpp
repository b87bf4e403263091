#include "api/error_body.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace llmux::api {

namespace {

std::string_view default_code(const Error& error) {
  switch (error.kind) {
    case ErrorKind::unauthenticated: return "invalid_api_key";
    case ErrorKind::model_not_found: return "model_not_found";
    case ErrorKind::context_window_exceeded: return "context_length_exceeded";
    case ErrorKind::content_policy: return "content_policy_violation";
    case ErrorKind::rate_limited: return "rate_limit_exceeded";
    default: return {};
  }
}

}  // namespace

std::string error_body(const Error& error) {
  boost::json::object inner;
  inner["message"] = error.message;
  inner["type"] = error_type(error);
  inner["param"] =
      error.param.empty() ? boost::json::value(nullptr) : boost::json::value(error.param);
  std::string_view code = error.code.empty() ? default_code(error) : std::string_view(error.code);
  if (code.empty()) {
    inner["code"] = std::to_string(http_status(error));  // LiteLLM's proxy sends the status
  } else {
    inner["code"] = code;
  }
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return boost::json::serialize(outer);
}

}  // namespace llmux::api
