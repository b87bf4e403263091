#include "config/logging_metadata.hpp"

#include <algorithm>
#include <array>

namespace llmux::config {

namespace json = boost::json;

namespace {

constexpr std::string_view kEnvironmentPrefix = "os.environ/";
constexpr std::string_view kDefaultLangfuseHost = "https://cloud.langfuse.com";
// LiteLLM's langfuse_otel default, as the config's callback has it.
constexpr std::string_view kDefaultLangfuseOtelHost = "https://us.cloud.langfuse.com";

Error logging_error(std::size_t index, std::string_view problem) {
  return make_error(ErrorKind::invalid_request,
                    "metadata.logging[" + std::to_string(index) + "]: " + std::string(problem),
                    "metadata");
}

std::string_view string_at(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

bool is_http_url(std::string_view text) {
  return text.starts_with("http://") || text.starts_with("https://");
}

// A callback_vars value: itself, or the environment variable an os.environ/ reference names.
std::optional<std::string> resolved(std::string_view value, const EnvironmentLookup& lookup) {
  if (!value.starts_with(kEnvironmentPrefix)) return std::string(value);
  auto found = lookup(value.substr(kEnvironmentPrefix.size()));
  return found && !found->empty() ? found : std::nullopt;
}

}  // namespace

Result<void> check_logging_metadata(const json::value& logging) {
  if (!logging.is_array())
    return make_error(ErrorKind::invalid_request,
                      "metadata.logging must be a list of {callback_name, callback_type, "
                      "callback_vars}",
                      "metadata");
  std::size_t index = 0;
  for (const json::value& entry : logging.get_array()) {
    if (!entry.is_object()) return logging_error(index, "must be an object");
    const json::object& item = entry.get_object();
    const std::string_view name = string_at(item, "callback_name");
    if (std::find(kKeyLevelCallbacks.begin(), kKeyLevelCallbacks.end(), name) ==
        kKeyLevelCallbacks.end())
      return logging_error(index,
                           "callback_name must be \"langfuse\" or \"langfuse_otel\" (the "
                           "key-level callbacks llmux implements)");
    if (const auto* type = item.if_contains("callback_type")) {
      static constexpr std::array kTypes = {"success", "failure", "success_and_failure"};
      const bool known = type->is_string() && std::find(kTypes.begin(), kTypes.end(),
                                                        type->get_string()) != kTypes.end();
      if (!known)
        return logging_error(index,
                             "callback_type must be success, failure or success_and_failure");
    }
    const auto* vars = item.if_contains("callback_vars");
    if (!vars || !vars->is_object()) return logging_error(index, "callback_vars must be an object");
    for (const auto& [name, value] : vars->get_object()) {
      if (!value.is_string())
        return logging_error(index, "callback_vars." + std::string(name) + " must be a string");
    }
    const json::object& fields = vars->get_object();
    for (std::string_view required : {"langfuse_public_key", "langfuse_secret_key"}) {
      if (string_at(fields, required).empty())
        return logging_error(index, "callback_vars." + std::string(required) + " is required");
    }
    const std::string_view host = string_at(fields, "langfuse_host");
    if (!host.empty() && !host.starts_with(kEnvironmentPrefix) && !is_http_url(host))
      return logging_error(index, "callback_vars.langfuse_host must be an http(s) URL");
    ++index;
  }
  return {};
}

std::vector<LoggingCallback> logging_callbacks(const json::object& metadata,
                                               const EnvironmentLookup& lookup) {
  std::vector<LoggingCallback> callbacks;
  const auto* logging = metadata.if_contains("logging");
  if (!logging || !check_logging_metadata(*logging)) return callbacks;
  for (const json::value& entry : logging->get_array()) {
    const json::object& item = entry.get_object();
    const json::object& vars = item.at("callback_vars").get_object();
    const std::string_view type =
        item.contains("callback_type") ? string_at(item, "callback_type") : "success_and_failure";
    const bool otlp = string_at(item, "callback_name") == "langfuse_otel";
    auto public_key = resolved(string_at(vars, "langfuse_public_key"), lookup);
    auto secret_key = resolved(string_at(vars, "langfuse_secret_key"), lookup);
    const std::string_view host_text = string_at(vars, "langfuse_host");
    auto host = !host_text.empty()
                    ? resolved(host_text, lookup)
                    : std::string(otlp ? kDefaultLangfuseOtelHost : kDefaultLangfuseHost);
    if (!public_key || !secret_key || !host || !is_http_url(*host)) continue;
    while (host->ends_with('/')) host->pop_back();
    LoggingCallback callback{.kind = LoggingCallback::Kind::langfuse,
                             .name = "langfuse",
                             .endpoint = std::move(*host),
                             .public_key = std::move(*public_key),
                             .secret_key = std::move(*secret_key),
                             .on_success = type != "failure",
                             .on_failure = type != "success"};
    if (otlp) {  // the config's langfuse_otel's spans, to the project's OTLP endpoint
      callback.kind = LoggingCallback::Kind::otel;
      callback.name = "langfuse_otel";
      callback.endpoint += "/api/public/otel/v1/traces";
      callback.otel.langfuse = true;
      callback.otel.langfuse_environment = lookup("LANGFUSE_TRACING_ENVIRONMENT").value_or("");
    }
    callbacks.push_back(std::move(callback));
  }
  return callbacks;
}

json::object masked_logging_metadata(const json::object& metadata) {
  const auto* logging = metadata.if_contains("logging");
  if (!logging) return metadata;
  json::object masked = metadata;
  if (!logging->is_array()) {  // never written so by llmux: shown as nothing at all
    masked["logging"] = "[redacted]";
    return masked;
  }
  for (json::value& entry : masked["logging"].get_array()) {
    json::object* item = entry.if_object();
    json::value* vars = item ? item->if_contains("callback_vars") : nullptr;
    if (!vars || !vars->is_object()) continue;
    for (auto& [name, value] : vars->get_object()) {
      const bool shown = std::string_view(name).ends_with("_host") ||
                         (value.is_string() && value.get_string().starts_with(kEnvironmentPrefix));
      if (!shown) value = "[redacted]";
    }
  }
  return masked;
}

}  // namespace llmux::config
