#include "admin/fields.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <cmath>
#include <ctime>

namespace llmux::admin {

namespace json = boost::json;

FieldReader FieldReader::from_body(std::string_view body) {
  FieldReader reader;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return reader;
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) {
    reader.error_ =
        make_error(ErrorKind::invalid_request, "The request body must be a JSON object.");
  } else {
    reader.fields_ = std::move(value.as_object());
  }
  return reader;
}

FieldReader FieldReader::from_query(std::string_view target) {
  FieldReader reader;
  const auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    reader.error_ =
        make_error(ErrorKind::invalid_request, "The request's query string is malformed.");
    return reader;
  }
  for (const auto& param : url->params()) reader.fields_[param.key] = param.value;
  return reader;
}

const json::value* FieldReader::field(std::string_view name) const {
  if (error_) return nullptr;
  const auto* value = fields_.if_contains(name);
  return value && !value->is_null() ? value : nullptr;
}

bool FieldReader::has(std::string_view name) const { return fields_.contains(name); }

void FieldReader::refuse(Error error) {
  if (!error_) error_ = std::move(error);
}

void FieldReader::fail(std::string_view name, std::string_view expected) {
  refuse(make_error(
      ErrorKind::invalid_request,
      "Invalid value for '" + std::string(name) + "': expected " + std::string(expected) + ".",
      std::string(name)));
}

std::optional<std::string> FieldReader::text(std::string_view name) {
  const auto* value = field(name);
  if (!value) return std::nullopt;
  // PostgreSQL text cannot hold NUL; refused on both engines so they behave alike.
  if (!value->is_string() || value->as_string().find('\0') != json::string::npos) {
    return fail(name, "a string without NUL characters"), std::nullopt;
  }
  return std::string(value->as_string());
}

std::optional<double> FieldReader::number(std::string_view name) {
  const auto* value = field(name);
  if (!value) return std::nullopt;
  if (value->is_number()) {
    const double number = value->to_number<double>();
    if (std::isfinite(number) && number >= 0) return number;
  } else if (value->is_string()) {  // query strings
    double number = 0;
    const auto& text = value->as_string();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec == std::errc() && end == text.data() + text.size() && std::isfinite(number) &&
        number >= 0)
      return number;
  }
  return fail(name, "a non-negative number"), std::nullopt;
}

std::optional<std::int64_t> FieldReader::integer(std::string_view name) {
  const auto* value = field(name);
  if (!value) return std::nullopt;
  std::int64_t number = -1;
  if (value->is_int64()) {
    number = value->as_int64();
  } else if (value->is_uint64() && value->as_uint64() <= INT64_MAX) {
    number = static_cast<std::int64_t>(value->as_uint64());
  } else if (value->is_double() && std::trunc(value->as_double()) == value->as_double() &&
             value->as_double() >= 0 && value->as_double() < 9e18) {
    number = static_cast<std::int64_t>(value->as_double());
  } else if (value->is_string()) {
    const auto& text = value->as_string();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end != text.data() + text.size()) number = -1;
  }
  if (number < 0) return fail(name, "a non-negative integer"), std::nullopt;
  return number;
}

std::optional<bool> FieldReader::boolean(std::string_view name) {
  const auto* value = field(name);
  if (!value) return std::nullopt;
  if (value->is_bool()) return value->as_bool();
  if (value->is_string() && (value->as_string() == "true" || value->as_string() == "false")) {
    return value->as_string() == "true";
  }
  return fail(name, "true or false"), std::nullopt;
}

std::optional<std::vector<std::string>> FieldReader::strings(std::string_view name) {
  const auto* value = field(name);
  if (!value) return std::nullopt;
  if (!value->is_array()) return fail(name, "a list of strings"), std::nullopt;
  std::vector<std::string> items;
  for (const auto& item : value->as_array()) {
    if (!item.is_string() || item.as_string().find('\0') != json::string::npos) {
      return fail(name, "a list of strings without NUL characters"), std::nullopt;
    }
    items.emplace_back(item.as_string());
  }
  return items;
}

std::optional<json::object> FieldReader::object(std::string_view name) {
  const auto* value = field(name);
  if (!value) return std::nullopt;
  if (!value->is_object()) return fail(name, "an object"), std::nullopt;
  return value->as_object();
}

std::optional<std::string> FieldReader::duration(std::string_view name) {
  auto text = this->text(name);
  if (text && !store::parse_duration(*text)) {
    return fail(name, "e.g. 30s, 30m, 30h, 30d, 2w or 1mo"), std::nullopt;
  }
  return text;
}

void apply_budget_duration(FieldReader& fields, std::optional<std::string>& duration,
                           std::optional<store::Millis>& reset_at, store::Millis now) {
  if (!fields.has("budget_duration")) return;
  duration = fields.duration("budget_duration");
  reset_at.reset();
  if (duration) reset_at = store::add_duration(now, *duration);
}

std::optional<store::Millis> parse_time(std::string_view text) {
  std::tm parts{};
  const std::string copy(text);
  for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"}) {
    parts = {};
    const char* end = strptime(copy.c_str(), format, &parts);
    if (end != nullptr && (*end == '\0' || *end == 'Z' || *end == '.' || *end == '+')) {
      return static_cast<store::Millis>(timegm(&parts)) * 1000;
    }
  }
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size()) return seconds * 1000;
  return std::nullopt;
}

}  // namespace llmux::admin
