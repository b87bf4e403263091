#include "config/load.hpp"

#include "config/litellm_keys.hpp"

#include "net/client_destination.hpp"

#include <yaml-cpp/yaml.h>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

namespace llmux::config {
namespace {

constexpr std::string_view kEnvPrefix = "os.environ/";
constexpr std::string_view kNotImplemented = "not implemented by llmux yet; ignored";
constexpr std::string_view kLitellmOnly =
    "a LiteLLM setting llmux does not implement; ignored (not sent upstream)";
constexpr std::size_t kMaxEchoedChars = 40;
// Deeper than any real config; reached only by an alias that refers to a node containing it.
constexpr int kMaxDepth = 64;

// "%20" and the like decoded; a '%' not followed by two hex digits is kept as it is.
std::string percent_decoded(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      decoded += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      decoded += text[i];
    }
  }
  return decoded;
}

// Headers as an environment variable lists them: "k1=v1,k2=v2", each split at its first '='
// (GENERIC_LOGGER_HEADERS as they are; OTEL_HEADERS' values percent-decoded, as OpenTelemetry's
// OTEL_EXPORTER_OTLP_HEADERS).
Headers header_list(std::string_view text, bool decode_values) {
  Headers headers;
  for (std::size_t start = 0; start < text.size();) {
    const auto end = std::min(text.find(',', start), text.size());
    const std::string_view pair = text.substr(start, end - start);
    if (const auto equals = pair.find('='); equals != std::string_view::npos) {
      const std::string_view value = pair.substr(equals + 1);
      headers.emplace_back(std::string(pair.substr(0, equals)),
                           decode_values ? percent_decoded(value) : std::string(value));
    }
    start = end + 1;
  }
  return headers;
}

// An OTLP endpoint as LiteLLM normalises it for traces: a base URL gets /v1/traces, a URL ending
// in /v1 gets /traces, another signal's path (/v1/logs, /v1/metrics) becomes /v1/traces.
std::string traces_endpoint(std::string endpoint) {
  while (endpoint.ends_with('/')) endpoint.pop_back();
  if (endpoint.ends_with("/v1/traces")) return endpoint;
  for (std::string_view other : {"/v1/logs", "/v1/metrics"}) {
    if (endpoint.ends_with(other))
      return endpoint.substr(0, endpoint.size() - other.size()) + "/v1/traces";
  }
  return endpoint + (endpoint.ends_with("/v1") ? "/traces" : "/v1/traces");
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string joined;
  for (const std::string& line : lines) {
    if (!joined.empty()) joined += '\n';
    joined += line;
  }
  return joined;
}

// One node of the YAML tree and where it sits, for messages.
struct Field {
  YAML::Node node;
  std::string path;  // e.g. model_list[2].litellm_params.timeout; empty for the document
  int line = 1;      // 1-based
  std::string key;   // the map key this node is the value of; empty for list items
};

// A scalar after os.environ/NAME has been replaced by the variable's value.
struct Scalar {
  std::string text;
  bool plain = false;    // unquoted in the file, so YAML reads it as a bool or number if it can
  std::string variable;  // non-empty: text came from this environment variable (a secret)
};

enum class Sign { positive, non_negative };

int line_of(const YAML::Node& node, int fallback) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? fallback : mark.line + 1;
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a string";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: break;
  }
  return "nothing";
}

// yaml-cpp tags unquoted scalars "?" and quoted or block scalars "!".
bool is_plain(const YAML::Node& node) { return node.Tag() == "?"; }

// The spellings PyYAML (YAML 1.1) reads as booleans: LiteLLM users' files were written for it.
std::optional<bool> parse_bool(std::string_view text) {
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "Yes",
                                               "YES",  "on",   "On",   "ON"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no", "No",
                                                "NO",    "off",   "Off",   "OFF"};
  if (std::find(std::begin(kTrue), std::end(kTrue), text) != std::end(kTrue)) return true;
  if (std::find(std::begin(kFalse), std::end(kFalse), text) != std::end(kFalse)) return false;
  return std::nullopt;
}

std::string_view without_plus(std::string_view text) {
  if (text.size() > 1 && text.front() == '+') text.remove_prefix(1);
  return text;
}

// Decimal integers only; out-of-range values are left to parse_number.
std::optional<long long> parse_integer(std::string_view text) {
  text = without_plus(text);
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Finite decimal numbers ("30", "0.5", "1e3"); not "inf"/"nan", which from_chars would accept.
std::optional<double> parse_number(std::string_view text) {
  text = without_plus(text);
  const bool numeric_chars = !text.empty() &&
                             text.find_first_not_of("0123456789.eE+-") == std::string_view::npos &&
                             text.find_first_of("0123456789") != std::string_view::npos;
  if (!numeric_chars) return std::nullopt;
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// How a bad value is shown in a message: its text, unless it came from the environment.
std::string describe(const Scalar& scalar) {
  if (!scalar.variable.empty()) return "the value of os.environ/" + scalar.variable;
  if (scalar.text.size() <= kMaxEchoedChars) return "\"" + scalar.text + "\"";
  return "\"" + scalar.text.substr(0, kMaxEchoedChars) + "...\"";
}

template <class Target, class Value>
void assign(Target& target, const std::optional<Value>& value) {
  if (value) target = static_cast<Target>(*value);
}

// Walks one document, collecting problems and warnings instead of stopping at the first.
class Loader {
 public:
  Loader(std::string source, const EnvLookup& env) : source_(std::move(source)), env_(env) {
    config_.source = source_;
  }

  Config load(std::string_view yaml) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& error) {
      throw LoadError({source_ + ":" + std::to_string(error.mark.line + 1) + ":" +
                       std::to_string(error.mark.column + 1) + ": " + error.msg});
    }
    const std::vector<Field> blocks = section_entries(Field{root, "", 1, ""});
    // Applied first, as LiteLLM does, so os.environ/ references anywhere in the file see them.
    for (const Field& block : blocks) {
      if (block.key == "environment_variables") read_environment_variables(block);
    }
    for (const Field& block : blocks) {
      if (block.key == "environment_variables") continue;
      if (block.key == "model_list") {
        read_model_list(block);
      } else if (block.key == "litellm_settings") {
        read_litellm_settings(block);
      } else if (block.key == "router_settings") {
        read_router_settings(block);
      } else if (block.key == "general_settings") {
        read_general_settings(block);
      } else if (block.key == "callback_settings") {
        callback_settings_ = entries(block);
      } else {
        ignore(block);
      }
    }
    resolve_logging_callbacks();
    resolve_alerting_urls();
    resolve_semantic_cache_model();
    if (config_.general_settings.database_url.empty()) {
      config_.general_settings.database_url =
          lookup(std::string(kDatabaseUrlVariable)).value_or("");
    }
    if (config_.general_settings.master_key.empty()) {
      config_.general_settings.master_key = lookup(std::string(kMasterKeyVariable)).value_or("");
    }
    if (!store_model_in_db_given_) {
      const auto value = lookup(std::string(kStoreModelInDbVariable));
      config_.general_settings.store_model_in_db = value == "True" || value == "true";
    }
    // As LiteLLM's router: REDIS_HOST or REDIS_URL alone is enough to share state through Redis.
    fill_redis_from_environment(config_.router_settings.redis);
    if (!problems_.empty()) throw LoadError(std::move(problems_));
    std::stable_sort(config_.key_uses.begin(), config_.key_uses.end(),
                     [](const KeyUse& a, const KeyUse& b) { return a.line < b.line; });
    return std::move(config_);
  }

 private:
  std::string prefix(const Field& field) const {
    std::string text = source_ + ":" + std::to_string(field.line) + ": ";
    if (!field.path.empty()) text += field.path + ": ";
    return text;
  }
  void problem(const Field& field, std::string_view reason) {
    problems_.push_back(prefix(field) + std::string(reason));
  }
  void warn(const Field& field, std::string_view reason) {
    config_.warnings.push_back(prefix(field) + std::string(reason));
    if (KeyUse* use = key_use(field)) use->note = reason;
  }

  // The entries of a section LiteLLM documents (the document's top level, a model_list entry,
  // its litellm_params, litellm_settings, router_settings, general_settings), each recorded for
  // the migration report as used until a warning or a request default says otherwise.
  std::vector<Field> section_entries(const Field& map) {
    std::vector<Field> fields = entries(map);
    for (const Field& field : fields) {
      config_.key_uses.push_back(
          {.path = field.path, .line = field.line, .verdict = KeyUse::Verdict::used});
    }
    return fields;
  }
  // The report's entry for a field, if it is a key of a section; nullptr otherwise.
  KeyUse* key_use(const Field& field) {
    const auto use = std::find_if(config_.key_uses.rbegin(), config_.key_uses.rend(),
                                  [&](const KeyUse& key) { return key.path == field.path; });
    return use == config_.key_uses.rend() ? nullptr : &*use;
  }
  void ignore(const Field& field, std::string_view reason = kNotImplemented) {
    warn(field, reason);
    if (KeyUse* use = key_use(field)) use->verdict = KeyUse::Verdict::ignored;
  }

  // The process environment wins over environment_variables, as in LiteLLM's get_secret.
  std::optional<std::string> lookup(const std::string& name) const {
    if (auto value = env_(name)) return value;
    const auto it = file_variables_.find(name);
    if (it != file_variables_.end()) return it->second;
    return std::nullopt;
  }

  // Counts how deep the walk is; past kMaxDepth it reports one problem and the walk unwinds.
  class Nesting {
   public:
    Nesting(Loader& loader, const Field& field) : loader_(loader) {
      if (++loader_.depth_ > kMaxDepth && !loader_.too_deep_) {
        loader_.too_deep_ = true;
        loader_.problem(field, "nested too deeply (does an alias refer to itself?)");
      }
    }
    ~Nesting() { --loader_.depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
    bool too_deep() const { return loader_.too_deep_; }

   private:
    Loader& loader_;
  };

  // A map's entries in order, with YAML merge keys (`<<: *anchor`) expanded: PyYAML supports
  // them and yaml-cpp 0.7 does not. A null node is an empty map.
  std::vector<Field> entries(const Field& map) {
    std::vector<Field> explicit_entries;
    std::vector<Field> merged;
    const Nesting nesting(*this, map);
    if (nesting.too_deep() || map.node.IsNull()) return explicit_entries;
    if (!map.node.IsMap()) {
      problem(map, "expected a map, got " + kind_of(map.node));
      return explicit_entries;
    }
    for (const auto& pair : map.node) {
      const int line = line_of(pair.first, map.line);
      if (!pair.first.IsScalar()) {
        problem(Field{pair.first, map.path, line, ""}, "a key must be a string");
        continue;
      }
      const std::string key = pair.first.Scalar();
      Field field{pair.second, child_path(map.path, key), line, key};
      if (key == "<<" && is_plain(pair.first)) {
        merge_sources(Field{pair.second, map.path, line, ""}, merged);
        continue;
      }
      const auto same = find_key(explicit_entries, key);
      if (same != explicit_entries.end()) {
        warn(field, "duplicate key; the last one wins");
        *same = std::move(field);
      } else {
        explicit_entries.push_back(std::move(field));
      }
    }
    for (Field& field : merged) {
      if (find_key(explicit_entries, field.key) == explicit_entries.end()) {
        explicit_entries.push_back(std::move(field));
      }
    }
    return explicit_entries;
  }

  static std::vector<Field>::iterator find_key(std::vector<Field>& fields, const std::string& key) {
    return std::find_if(fields.begin(), fields.end(),
                        [&](const Field& field) { return field.key == key; });
  }

  // `<<` takes a map or a list of maps; an earlier source wins over a later one.
  void merge_sources(const Field& source, std::vector<Field>& merged) {
    const auto add = [&](const Field& map) {
      for (Field& field : entries(map)) {
        if (find_key(merged, field.key) == merged.end()) merged.push_back(std::move(field));
      }
    };
    if (source.node.IsMap()) {
      add(source);
    } else if (source.node.IsSequence()) {
      for (const YAML::Node& item : source.node) {
        if (item.IsMap()) {
          add(Field{item, source.path, line_of(item, source.line), ""});
        } else {
          problem(source, "<< merges maps, got " + kind_of(item));
        }
      }
    } else {
      problem(source, "<< merges a map or a list of maps, got " + kind_of(source.node));
    }
  }

  std::vector<Field> items(const Field& list) {
    std::vector<Field> fields;
    if (list.node.IsNull()) return fields;
    if (!list.node.IsSequence()) {
      problem(list, "expected a list, got " + kind_of(list.node));
      return fields;
    }
    for (std::size_t i = 0; i < list.node.size(); ++i) {
      const YAML::Node item = list.node[i];
      fields.push_back(
          Field{item, list.path + "[" + std::to_string(i) + "]", line_of(item, list.line), ""});
    }
    return fields;
  }

  // Null is "not given" (nullopt, no message); a map or list where a scalar belongs is a problem.
  std::optional<Scalar> scalar(const Field& field, std::string_view expected) {
    if (field.node.IsNull()) return std::nullopt;
    if (!field.node.IsScalar()) {
      problem(field, "expected " + std::string(expected) + ", got " + kind_of(field.node));
      return std::nullopt;
    }
    Scalar result{field.node.Scalar(), is_plain(field.node), ""};
    if (!result.text.starts_with(kEnvPrefix)) return result;
    result.variable = result.text.substr(kEnvPrefix.size());
    result.plain = false;
    if (result.variable.empty()) {
      problem(field, "os.environ/ must be followed by a variable name");
      return std::nullopt;
    }
    const std::optional<std::string> value = lookup(result.variable);
    if (!value) {
      warn(field, "environment variable " + result.variable + " is not set; using an empty value");
    }
    result.text = value.value_or("");
    return result;
  }

  // A typed (non-string) setting whose variable is unset or empty keeps its default.
  static bool is_unset_variable(const Scalar& scalar) {
    return !scalar.variable.empty() && scalar.text.empty();
  }

  std::optional<std::string> read_string(const Field& field) {
    const std::optional<Scalar> value = scalar(field, "a string");
    if (!value) return std::nullopt;
    return value->text;
  }

  // A string that must be given and not be empty.
  std::optional<std::string> read_required(const Field& field) {
    if (field.node.IsNull()) {
      problem(field, "missing a value");
      return std::nullopt;
    }
    return read_name(field);
  }

  // A string that must not be empty when given.
  std::optional<std::string> read_name(const Field& field) {
    std::optional<std::string> value = read_string(field);
    if (value && value->empty()) {
      problem(field, "must not be empty");
      return std::nullopt;
    }
    return value;
  }

  std::optional<bool> read_bool(const Field& field) {
    const std::optional<Scalar> value = scalar(field, "true or false");
    if (!value || is_unset_variable(*value)) return std::nullopt;
    if (const std::optional<bool> flag = parse_bool(value->text)) return flag;
    problem(field, "expected true or false, got " + describe(*value));
    return std::nullopt;
  }

  bool check_sign(const Field& field, double number, Sign sign, const Scalar& value) {
    if (sign == Sign::positive && !(number > 0)) {
      problem(field, "must be greater than 0, got " + describe(value));
      return false;
    }
    if (sign == Sign::non_negative && number < 0) {
      problem(field, "must not be negative, got " + describe(value));
      return false;
    }
    return true;
  }

  std::optional<double> read_number(const Field& field, Sign sign) {
    const std::optional<Scalar> value = scalar(field, "a number");
    if (!value || is_unset_variable(*value)) return std::nullopt;
    const std::optional<double> number = parse_number(value->text);
    if (!number) {
      problem(field, "expected a number, got " + describe(*value));
      return std::nullopt;
    }
    if (!check_sign(field, *number, sign, *value)) return std::nullopt;
    return number;
  }

  std::optional<long long> read_integer(const Field& field, Sign sign, long long max) {
    const std::optional<Scalar> value = scalar(field, "a whole number");
    if (!value || is_unset_variable(*value)) return std::nullopt;
    const std::optional<long long> number = parse_integer(value->text);
    if (!number) {
      problem(field, "expected a whole number, got " + describe(*value));
      return std::nullopt;
    }
    if (!check_sign(field, static_cast<double>(*number), sign, *value)) return std::nullopt;
    if (*number > max) {
      problem(field, "must be at most " + std::to_string(max) + ", got " + describe(*value));
      return std::nullopt;
    }
    return number;
  }

  // YAML → JSON as PyYAML would read it: quoted scalars and os.environ values stay strings.
  boost::json::value to_json(const Field& field) {
    const Nesting nesting(*this, field);
    if (nesting.too_deep()) return nullptr;
    if (field.node.IsMap()) {
      boost::json::object object;
      for (const Field& entry : entries(field)) object[entry.key] = to_json(entry);
      return object;
    }
    if (field.node.IsSequence()) {
      boost::json::array array;
      for (const Field& item : items(field)) array.push_back(to_json(item));
      return array;
    }
    const std::optional<Scalar> value = scalar(field, "a value");
    if (!value) return nullptr;
    if (!value->plain) return boost::json::string(value->text);
    if (const std::optional<bool> flag = parse_bool(value->text)) return *flag;
    if (const std::optional<long long> integer = parse_integer(value->text)) {
      return static_cast<std::int64_t>(*integer);
    }
    if (const std::optional<double> number = parse_number(value->text)) return *number;
    return boost::json::string(value->text);
  }

  boost::json::object read_object(const Field& field) {
    if (field.node.IsNull()) return {};
    if (!field.node.IsMap()) {
      problem(field, "expected a map, got " + kind_of(field.node));
      return {};
    }
    return to_json(field).as_object();
  }

  void read_environment_variables(const Field& block) {
    for (const Field& entry : entries(block)) {
      const std::optional<Scalar> value = scalar(entry, "a string");
      if (!value) {
        if (entry.node.IsNull()) problem(entry, "expected a string, got nothing");
        continue;
      }
      file_variables_[entry.key] = value->text;
      config_.environment_variables.emplace_back(entry.key, *lookup(entry.key));
    }
  }

  void read_model_list(const Field& block) {
    for (const Field& item : items(block)) {
      if (!item.node.IsMap()) {
        problem(item,
                "expected a map with model_name and litellm_params, got " + kind_of(item.node));
        continue;
      }
      config_.model_list.push_back(read_model(item));
    }
  }

  ModelEntry read_model(const Field& item) {
    ModelEntry model;
    model.line = item.line;
    bool named = false;
    bool model_accounted = false;  // litellm_params.model given, or litellm_params malformed
    int params_line = item.line;
    for (const Field& field : section_entries(item)) {
      if (field.key == "model_name") {
        named = true;
        assign(model.model_name, read_required(field));
      } else if (field.key == "litellm_params") {
        params_line = field.line;
        const bool malformed = !field.node.IsMap() && !field.node.IsNull();
        model_accounted = read_litellm_params(field, model.params) || malformed;
      } else if (field.key == "model_info") {
        model.model_info = read_object(field);
      } else {
        ignore(field);
      }
    }
    if (!named) {
      problem(Field{item.node, item.path + ".model_name", item.line, ""},
              "missing; every model needs the name clients ask for");
    }
    if (!model_accounted) {
      problem(Field{item.node, item.path + ".litellm_params.model", params_line, ""},
              "missing; expected provider/model, e.g. openai/gpt-4o-mini");
    }
    return model;
  }

  // Returns whether a `model` key was present.
  bool read_litellm_params(const Field& block, LitellmParams& params) {
    bool has_model = false;
    for (const Field& field : section_entries(block)) {
      const std::string& key = field.key;
      if (key == "model") {
        has_model = true;
        assign(params.model, read_required(field));
      } else if (key == "api_base") {
        assign(params.api_base, read_string(field));
      } else if (key == "api_key") {
        assign(params.api_key, read_string(field));
      } else if (key == "api_version") {
        assign(params.api_version, read_string(field));
      } else if (key == "organization") {
        assign(params.organization, read_string(field));
      } else if (key == "timeout") {
        assign(params.timeout_s, read_number(field, Sign::positive));
      } else if (key == "stream_timeout") {
        assign(params.stream_timeout_s, read_number(field, Sign::positive));
      } else if (key == "max_retries") {
        assign(params.max_retries, read_integer(field, Sign::non_negative, INT_MAX));
      } else if (key == "rpm") {
        assign(params.rpm, read_integer(field, Sign::positive, LONG_MAX));
      } else if (key == "tpm") {
        assign(params.tpm, read_integer(field, Sign::positive, LONG_MAX));
      } else if (key == "weight") {
        assign(params.weight, read_number(field, Sign::positive));
      } else if (key == "order") {
        assign(params.order, read_integer(field, Sign::non_negative, INT_MAX));
      } else if (key == "extra_headers") {
        params.extra_headers = read_headers(field);
      } else if (key == "mock_response") {
        assign(params.mock_response, read_string(field));
      } else if (is_unimplemented_litellm_setting(key)) {
        ignore(field, kLitellmOnly);
      } else {
        params.extra[key] = to_json(field);
        if (KeyUse* use = key_use(field)) use->verdict = KeyUse::Verdict::passed_on;
      }
    }
    return has_model;
  }

  Headers read_headers(const Field& block) {
    Headers headers;
    for (const Field& field : entries(block)) {
      if (field.node.IsNull()) {
        problem(field, "expected a header value, got nothing");
      } else if (std::optional<std::string> value = read_string(field)) {
        headers.emplace_back(field.key, std::move(*value));
      }
    }
    return headers;
  }

  void read_litellm_settings(const Field& block) {
    LitellmSettings& settings = config_.litellm_settings;
    std::optional<bool> cache_on;
    std::optional<Field> cache_field;
    std::optional<Field> cache_params;
    for (const Field& field : section_entries(block)) {
      if (field.key == "drop_params") {
        assign(settings.drop_params, read_bool(field));
      } else if (field.key == "num_retries") {
        assign(settings.num_retries, read_integer(field, Sign::non_negative, INT_MAX));
      } else if (field.key == "request_timeout") {
        assign(settings.request_timeout_s, read_number(field, Sign::positive));
      } else if (field.key == "set_verbose") {
        assign(settings.set_verbose, read_bool(field));
      } else if (field.key == "max_end_user_budget") {
        settings.max_end_user_budget = read_number(field, Sign::non_negative);
      } else if (field.key == "cache") {
        cache_on = read_bool(field);
        cache_field = field;
      } else if (field.key == "cache_params") {
        cache_params = field;
      } else if (!read_fallback_setting(field, settings.fallback_settings) &&
                 !read_logging_setting(field)) {
        ignore(field);
      }
    }
    if (cache_on.value_or(false)) {
      // No cache_params: LiteLLM's defaults, as an empty map where they would be.
      settings.cache = read_cache_params(cache_params.value_or(
          Field{YAML::Node(), "litellm_settings.cache_params", cache_field->line, "cache_params"}));
    } else if (cache_params) {
      warn(*cache_params, "the response cache is off without `cache: true`; ignored");
    }
  }

  // --- litellm_settings.cache_params (docs/CACHING.md) ---

  // nullopt when the type is one llmux does not have (a warning says the cache is off).
  std::optional<CacheSettings> read_cache_params(const Field& block) {
    CacheSettings cache;
    std::optional<double> ttl;
    std::optional<double> memory_ttl;
    std::optional<double> redis_ttl;
    std::optional<Field> type_field;
    std::optional<Field> similarity;
    for (const Field& field : entries(block)) {
      const std::string& key = field.key;
      if (key == "type") {
        type_field = field;
      } else if (read_redis_setting(field, cache.redis, "") ||
                 (key == "redis_url" && read_redis_setting(field, cache.redis, "redis_"))) {
        continue;
      } else if (key == "namespace") {
        assign(cache.key_namespace, read_string(field));
      } else if (key == "ttl") {
        ttl = read_number(field, Sign::positive);
      } else if (key == "default_in_memory_ttl") {
        memory_ttl = read_number(field, Sign::positive);
      } else if (key == "default_in_redis_ttl") {
        redis_ttl = read_number(field, Sign::positive);
      } else if (key == "supported_call_types") {
        read_cached_call_types(field, cache);
      } else if (key == "mode") {
        read_cache_mode(field, cache);
      } else if (key == "max_memory_mb") {
        assign(cache.max_memory_mb, read_number(field, Sign::positive));
      } else if (key == "similarity_threshold") {
        similarity = field;
      } else if (key == "redis_semantic_cache_embedding_model") {
        assign(cache.semantic.embedding_model, read_string(field));
      } else if (key == "semantic_max_entries") {
        assign(cache.semantic.max_entries, read_integer(field, Sign::positive, 10'000'000));
      } else {
        ignore(field);
      }
    }
    if (type_field && !read_cache_type(*type_field, cache.type)) return std::nullopt;
    if (cache.type == CacheType::redis_semantic) read_semantic_settings(block, similarity, cache);
    const bool on_redis = cache.type != CacheType::local;
    const std::optional<double>& typed_ttl = on_redis ? redis_ttl : memory_ttl;
    cache.ttl_s = typed_ttl ? typed_ttl : ttl;
    if (on_redis) {
      fill_redis_from_environment(cache.redis);
      if (!cache.redis.given()) {
        problem(block,
                "a Redis cache needs cache_params.host (or url), or REDIS_HOST / REDIS_URL "
                "in the environment");
      }
    }
    return cache;
  }

  // False for a type llmux does not have: LiteLLM's other stores are accepted with a warning
  // (the cache is off), anything else is a problem.
  bool read_cache_type(const Field& field, CacheType& type) {
    const std::optional<std::string> name = read_name(field);
    if (!name) return true;
    if (*name == "local") {
      type = CacheType::local;
    } else if (*name == "redis") {
      type = CacheType::redis;
    } else if (*name == "redis-semantic") {
      type = CacheType::redis_semantic;
    } else if (*name == "s3" || *name == "gcs" || *name == "disk" || *name == "qdrant-semantic" ||
               *name == "valkey-semantic" || *name == "azure-blob") {
      warn(field, "\"" + *name +
                      "\" is not supported by llmux (local, redis and redis-semantic are); the "
                      "response cache is off");
      return false;
    } else {
      problem(field, "unknown cache type \"" + name->substr(0, kMaxEchoedChars) +
                         "\" (known: local, redis, redis-semantic)");
    }
    return true;
  }

  // As LiteLLM's RedisSemanticCache: similarity_threshold is required (a cosine similarity);
  // the embedding model defaults to text-embedding-ada-002 and must be a model_name of the config
  // (checked once the whole file is read: resolve_semantic_cache_model).
  void read_semantic_settings(const Field& block, const std::optional<Field>& similarity,
                              CacheSettings& cache) {
    if (!similarity) {
      problem(block, "type redis-semantic needs similarity_threshold (a number from 0 to 1)");
    } else if (auto threshold = read_number(*similarity, Sign::non_negative)) {
      if (*threshold > 1) problem(*similarity, "a cosine similarity must be at most 1");
      cache.semantic.similarity_threshold = *threshold;
    }
    if (cache.semantic.embedding_model.empty())
      cache.semantic.embedding_model = "text-embedding-ada-002";
    semantic_cache_field_ = block;
  }

  void resolve_semantic_cache_model() {
    const auto& cache = config_.litellm_settings.cache;
    if (!cache || cache->type != CacheType::redis_semantic || !semantic_cache_field_) return;
    const std::string& model = cache->semantic.embedding_model;
    const bool listed =
        std::any_of(config_.model_list.begin(), config_.model_list.end(),
                    [&](const ModelEntry& entry) { return entry.model_name == model; });
    if (!listed) {
      problem(*semantic_cache_field_, "redis_semantic_cache_embedding_model \"" +
                                          model.substr(0, kMaxEchoedChars) +
                                          "\" is not a model_name of model_list");
    }
  }

  // LiteLLM's call type names (sync and async spellings); the ones of endpoints llmux does not
  // cache are accepted with a warning. An empty list caches nothing.
  void read_cached_call_types(const Field& field, CacheSettings& cache) {
    cache.chat_completions = cache.completions = cache.embeddings = false;
    for (const Field& item : items(field)) {
      const std::optional<std::string> name = read_name(item);
      if (!name) continue;
      if (*name == "completion" || *name == "acompletion") {
        cache.chat_completions = true;
      } else if (*name == "text_completion" || *name == "atext_completion") {
        cache.completions = true;
      } else if (*name == "embedding" || *name == "aembedding") {
        cache.embeddings = true;
      } else {
        warn(item, "\"" + name->substr(0, kMaxEchoedChars) +
                       "\" is not cached by llmux (completion, text_completion and embedding are); "
                       "ignored");
      }
    }
  }

  void read_cache_mode(const Field& field, CacheSettings& cache) {
    const std::optional<std::string> mode = read_name(field);
    if (!mode) return;
    if (*mode == "default_on" || *mode == "default_off") {
      cache.default_off = *mode == "default_off";
    } else {
      problem(field, "expected default_on or default_off, got \"" +
                         mode->substr(0, kMaxEchoedChars) + "\"");
    }
  }

  // --- Logging callbacks (docs/OBSERVABILITY.md) ---

  // A name as one of litellm_settings' callback lists gives it.
  struct ListedCallback {
    std::string name;
    bool on_success = false;
    bool on_failure = false;
    Field field;
  };

  bool read_logging_setting(const Field& field) {
    if (field.key == "success_callback" || field.key == "failure_callback" ||
        field.key == "callbacks") {
      for (const Field& item : items(field)) {
        if (std::optional<std::string> name = read_name(item)) {
          listed_callbacks_.push_back({.name = std::move(*name),
                                       .on_success = field.key != "failure_callback",
                                       .on_failure = field.key != "success_callback",
                                       .field = item});
        }
      }
    } else if (field.key == "turn_off_message_logging") {
      assign(config_.logging.turn_off_message_logging, read_bool(field));
    } else if (field.key == "redact_user_api_key_info") {
      assign(config_.logging.redact_user_api_key_info, read_bool(field));
    } else {
      return false;
    }
    return true;
  }

  // Each listed name becomes a destination, once, receiving the events of every list naming it.
  void resolve_logging_callbacks() {
    std::vector<std::pair<bool, bool>> listed_for;  // per callback: success, failure
    auto& callbacks = config_.logging.callbacks;
    for (const ListedCallback& listed : listed_callbacks_) {
      auto same = std::find_if(callbacks.begin(), callbacks.end(),
                               [&](const LoggingCallback& c) { return c.name == listed.name; });
      if (same == callbacks.end()) {
        std::optional<LoggingCallback> callback = logging_callback(listed);
        if (!callback) continue;
        callbacks.push_back(std::move(*callback));  // on_*: the events its settings allow
        listed_for.emplace_back(false, false);
        same = std::prev(callbacks.end());
      }
      auto& [success, failure] = listed_for[static_cast<std::size_t>(same - callbacks.begin())];
      success |= listed.on_success;
      failure |= listed.on_failure;
    }
    for (std::size_t i = 0; i < callbacks.size(); ++i) {
      callbacks[i].on_success &= listed_for[i].first;
      callbacks[i].on_failure &= listed_for[i].second;
    }
  }

  std::optional<LoggingCallback> logging_callback(const ListedCallback& listed) {
    const Field* settings = nullptr;
    for (const Field& entry : callback_settings_) {
      if (entry.key == listed.name) settings = &entry;
    }
    std::string type = listed.name;
    if (settings) {
      for (const Field& field : entries(*settings)) {
        if (field.key == "callback_type") assign(type, read_name(field));
      }
    }
    if (listed.name == "prometheus") return std::nullopt;  // /metrics is always on
    if (type == "langfuse") return langfuse_callback(listed);
    if (type == "generic_api") return generic_api_callback(listed, settings);
    if (type == "otel") return otel_callback(listed);
    if (type == "langfuse_otel") return langfuse_otel_callback(listed);
    static constexpr std::array kNotYet = {
        "datadog", "s3",   "gcs_bucket", "lunary",  "helicone", "braintrust", "arize",
        "sentry",  "opik", "mlflow",     "logfire", "athina",   "slack"};
    const bool known = std::find(kNotYet.begin(), kNotYet.end(), type) != kNotYet.end();
    warn(listed.field, "callback \"" + listed.name + "\": " +
                           (known ? std::string(kNotImplemented) : "unknown callback; ignored"));
    return std::nullopt;
  }

  std::optional<LoggingCallback> langfuse_callback(const ListedCallback& listed) {
    LoggingCallback callback{.kind = LoggingCallback::Kind::langfuse,
                             .name = listed.name,
                             .on_success = true,
                             .on_failure = true};
    callback.endpoint = lookup("LANGFUSE_HOST").value_or("https://cloud.langfuse.com");
    while (callback.endpoint.ends_with('/')) callback.endpoint.pop_back();
    callback.public_key = lookup("LANGFUSE_PUBLIC_KEY").value_or("");
    callback.secret_key = lookup("LANGFUSE_SECRET_KEY").value_or("");
    if (callback.public_key.empty() || callback.secret_key.empty()) {
      warn(listed.field,
           "callback \"langfuse\": LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY must be set; "
           "ignored");
      return std::nullopt;
    }
    return callback;
  }

  // LiteLLM's langfuse_otel: the otel callback's spans, with Langfuse's attributes, posted to
  // Langfuse's OTLP endpoint {LANGFUSE_OTEL_HOST, else LANGFUSE_HOST}/api/public/otel (default
  // Langfuse's US cloud; a host without a scheme is https) with Basic authentication.
  std::optional<LoggingCallback> langfuse_otel_callback(const ListedCallback& listed) {
    LoggingCallback callback{.kind = LoggingCallback::Kind::otel,
                             .name = listed.name,
                             .on_success = true,
                             .on_failure = true};
    callback.public_key = lookup("LANGFUSE_PUBLIC_KEY").value_or("");
    callback.secret_key = lookup("LANGFUSE_SECRET_KEY").value_or("");
    if (callback.public_key.empty() || callback.secret_key.empty()) {
      warn(listed.field,
           "callback \"langfuse_otel\": LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY must be "
           "set; ignored");
      return std::nullopt;
    }
    std::string host = lookup("LANGFUSE_OTEL_HOST").value_or("");
    if (host.empty()) host = lookup("LANGFUSE_HOST").value_or("https://us.cloud.langfuse.com");
    if (!host.starts_with("http")) host = "https://" + host;
    while (host.ends_with('/')) host.pop_back();
    callback.endpoint = traces_endpoint(host + "/api/public/otel");
    callback.otel.langfuse = true;
    callback.otel.langfuse_environment = lookup("LANGFUSE_TRACING_ENVIRONMENT").value_or("");
    return callback;
  }

  // The first of these variables that is set and not empty; "" when none is.
  std::string first_set(std::initializer_list<std::string_view> names) {
    for (const std::string_view name : names) {
      std::string value = lookup(std::string(name)).value_or("");
      if (!value.empty()) return value;
    }
    return {};
  }

  // LiteLLM's OpenTelemetry logger, configured from the environment as LiteLLM reads it, with
  // the OTLP specification's per-signal names first: the endpoint from
  // OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is), else OTEL_EXPORTER_OTLP_ENDPOINT, else
  // OTEL_ENDPOINT, normalised to its /v1/traces path; headers from
  // OTEL_EXPORTER_OTLP_TRACES_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS, else OTEL_HEADERS (the
  // first set, whole: the specification's per-signal value is not merged); the exporter from
  // OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else OTEL_EXPORTER; each
  // POST's time limit from OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, else OTEL_EXPORTER_OTLP_TIMEOUT
  // (milliseconds). LiteLLM's HTTP exporter sends protobuf whatever its name says; llmux sends JSON
  // when http/json asks for it, as the OTLP specification reads it.
  std::optional<LoggingCallback> otel_callback(const ListedCallback& listed) {
    LoggingCallback callback{.kind = LoggingCallback::Kind::otel,
                             .name = listed.name,
                             .on_success = true,
                             .on_failure = true};
    const std::string signal_endpoint = first_set({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"});
    const std::string endpoint = signal_endpoint.empty()
                                     ? first_set({"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_ENDPOINT"})
                                     : signal_endpoint;
    const std::string exporter = first_set(
        {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER"});
    if (exporter == "grpc" || exporter == "otlp_grpc") {
      problem(listed.field, "callback \"" + listed.name + "\": the OTLP exporter \"" + exporter +
                                "\" is not supported; llmux exports OTLP over HTTP "
                                "(OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf or http/json)");
      return std::nullopt;
    }
    if (!exporter.empty() && exporter != "http/protobuf" && exporter != "http/json" &&
        exporter != "otlp_http" && !(exporter == "console" && !endpoint.empty())) {
      warn(listed.field, "callback \"" + listed.name + "\": exporter \"" +
                             exporter.substr(0, kMaxEchoedChars) +
                             "\" is not implemented (llmux exports OTLP over HTTP); ignored");
      return std::nullopt;
    }
    if (!endpoint.starts_with("http://") && !endpoint.starts_with("https://")) {
      warn(listed.field, "callback \"" + listed.name +
                             "\": OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT "
                             "or OTEL_ENDPOINT must be an http(s) URL; ignored");
      return std::nullopt;
    }
    if (exporter == "http/json") callback.otel.encoding = OtlpEncoding::json;
    callback.endpoint = signal_endpoint.empty() ? traces_endpoint(endpoint) : endpoint;
    const std::string timeout =
        first_set({"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"});
    if (!timeout.empty()) {
      const std::optional<long long> millis = parse_integer(timeout);
      if (millis && *millis > 0)
        callback.timeout = std::chrono::milliseconds(*millis);
      else
        warn(listed.field, "callback \"" + listed.name +
                               "\": OTEL_EXPORTER_OTLP_TIMEOUT must be a positive number of "
                               "milliseconds; using the default");
    }
    callback.headers = header_list(first_set({"OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                                              "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_HEADERS"}),
                                   true);
    OtelIdentity& identity = callback.otel;
    identity.service_name = lookup("OTEL_SERVICE_NAME").value_or(identity.service_name);
    identity.environment = lookup("OTEL_ENVIRONMENT_NAME").value_or(identity.environment);
    identity.tracer_name = lookup("OTEL_TRACER_NAME").value_or(identity.tracer_name);
    return callback;
  }

  // LiteLLM's generic logger: endpoint and headers from callback_settings, else from
  // GENERIC_LOGGER_ENDPOINT / GENERIC_LOGGER_HEADERS ("k1=v1,k2=v2"); headers merged, the
  // settings' winning.
  std::optional<LoggingCallback> generic_api_callback(const ListedCallback& listed,
                                                      const Field* settings) {
    LoggingCallback callback{.kind = LoggingCallback::Kind::generic_api, .name = listed.name};
    callback.endpoint = lookup("GENERIC_LOGGER_ENDPOINT").value_or("");
    callback.headers = header_list(lookup("GENERIC_LOGGER_HEADERS").value_or(""), false);
    bool on_success = true;
    bool on_failure = true;
    if (settings) {
      for (const Field& field : entries(*settings)) {
        if (field.key == "endpoint") {
          assign(callback.endpoint, read_string(field));
        } else if (field.key == "headers") {
          for (auto& header : read_headers(field)) {  // a binding: clang 14 cannot capture one
            std::erase_if(callback.headers,
                          [&](const auto& held) { return held.first == header.first; });
            callback.headers.push_back(std::move(header));
          }
        } else if (field.key == "event_types") {
          const auto types = read_name_list(field);
          on_success = std::find(types.begin(), types.end(), "llm_api_success") != types.end();
          on_failure = std::find(types.begin(), types.end(), "llm_api_failure") != types.end();
        } else if (field.key == "log_format") {
          std::string format;
          assign(format, read_name(field));
          if (format != "json_array") warn(field, "only json_array is implemented; using it");
        } else if (field.key != "callback_type") {
          ignore(field);
        }
      }
    }
    if (!callback.endpoint.starts_with("http://") && !callback.endpoint.starts_with("https://")) {
      problem(listed.field, "callback \"" + listed.name +
                                "\": generic_api needs an http(s) endpoint (callback_settings."
                                "endpoint or GENERIC_LOGGER_ENDPOINT)");
      return std::nullopt;
    }
    // event_types narrows what the lists ask for (resolve_logging_callbacks).
    callback.on_success = on_success;
    callback.on_failure = on_failure;
    return callback;
  }

  void read_router_settings(const Field& block) {
    RouterSettings& settings = config_.router_settings;
    for (const Field& field : section_entries(block)) {
      if (field.key == "routing_strategy") {
        assign(settings.routing_strategy, read_name(field));
      } else if (field.key == "num_retries") {
        assign(settings.num_retries, read_integer(field, Sign::non_negative, INT_MAX));
      } else if (field.key == "timeout") {
        assign(settings.timeout_s, read_number(field, Sign::positive));
      } else if (field.key == "stream_timeout") {
        assign(settings.stream_timeout_s, read_number(field, Sign::positive));
      } else if (field.key == "allowed_fails") {
        assign(settings.allowed_fails, read_integer(field, Sign::non_negative, INT_MAX));
      } else if (field.key == "cooldown_time") {
        assign(settings.cooldown_time_s, read_number(field, Sign::non_negative));
      } else if (field.key == "disable_cooldowns") {
        assign(settings.disable_cooldowns, read_bool(field));
      } else if (field.key == "retry_policy") {
        read_retry_policy(field, settings.retry_policy);
      } else if (field.key == "max_fallbacks") {
        assign(settings.max_fallbacks, read_integer(field, Sign::non_negative, INT_MAX));
      } else if (field.key == "model_group_alias") {
        read_model_group_alias(field, settings.model_group_alias);
      } else if (field.key == "enable_pre_call_checks") {
        assign(settings.enable_pre_call_checks, read_bool(field));
      } else if (!read_redis_setting(field, settings.redis, "redis_") &&
                 !read_fallback_setting(field, settings.fallback_settings)) {
        ignore(field);
      }
    }
    check_routing_strategy(settings);
  }

  // The connection settings LiteLLM passes to redis-py, each named prefix + LiteLLM's name
  // (router_settings says redis_host, cache_params says host); false for any other key. Those
  // llmux's client has no use for (a pool size, a cluster, Sentinel) are accepted with a warning.
  bool read_redis_setting(const Field& field, RedisSettings& redis, std::string_view prefix) {
    if (!field.key.starts_with(prefix)) return false;
    const std::string_view key = std::string_view(field.key).substr(prefix.size());
    if (key == "url") {
      assign(redis.url, read_string(field));
    } else if (key == "host") {
      assign(redis.host, read_string(field));
    } else if (key == "port") {
      assign(redis.port, read_integer(field, Sign::positive, 65535));
    } else if (key == "username") {
      assign(redis.username, read_string(field));
    } else if (key == "password") {
      assign(redis.password, read_string(field));
    } else if (key == "ssl") {
      assign(redis.ssl, read_bool(field));
    } else if (key == "db") {
      assign(redis.db, read_integer(field, Sign::non_negative, INT_MAX));
    } else if (key == "ssl_cert_reqs") {
      // YAML null is redis-py's None: no certificate check, as ssl_cert_reqs: none.
      redis.ssl_cert_reqs = field.node.IsNull() ? "none" : read_string(field).value_or("");
    } else if (key == "ssl_ca_certs") {
      assign(redis.ssl_ca_certs, read_string(field));
    } else if (key == "socket_timeout") {
      assign(redis.socket_timeout_s, read_number(field, Sign::positive));
    } else if (key == "socket_connect_timeout") {
      assign(redis.socket_connect_timeout_s, read_number(field, Sign::positive));
    } else if (key == "max_connections" || key == "startup_nodes" || key == "sentinel_nodes" ||
               key == "service_name" || key == "sentinel_password" || key == "flush_size") {
      ignore(field);
    } else {
      return false;
    }
    return true;
  }

  // What the config did not say, from LiteLLM's REDIS_* variables: a URL or host only when the
  // config names neither.
  void fill_redis_from_environment(RedisSettings& redis) {
    const auto variable = [&](const char* name) -> std::optional<std::string> {
      auto value = lookup(name);
      if (value && value->empty()) return std::nullopt;
      return value;
    };
    if (!redis.given()) {
      if (auto url = variable("REDIS_URL")) {
        redis.url = *url;
      } else if (auto host = variable("REDIS_HOST")) {
        redis.host = *host;
      }
    }
    const auto environment_problem = [&](const char* name, std::string_view expected) {
      problems_.push_back(source_ + ": environment variable " + name + ": expected " +
                          std::string(expected));
    };
    if (auto port = variable("REDIS_PORT"); port && !redis.port) {
      const auto number = parse_integer(*port);
      if (number && *number > 0 && *number <= 65535) {
        redis.port = static_cast<long>(*number);
      } else {
        environment_problem("REDIS_PORT", "a port number");
      }
    }
    if (auto db = variable("REDIS_DB"); db && !redis.db) {
      const auto number = parse_integer(*db);
      if (number && *number >= 0 && *number <= INT_MAX) {
        redis.db = static_cast<long>(*number);
      } else {
        environment_problem("REDIS_DB", "a database number");
      }
    }
    if (auto ssl = variable("REDIS_SSL"); ssl && !redis.ssl) {
      redis.ssl = parse_bool(*ssl);
      if (!redis.ssl) environment_problem("REDIS_SSL", "true or false");
    }
    if (auto password = variable("REDIS_PASSWORD"); password && redis.password.empty())
      redis.password = *password;
    if (auto username = variable("REDIS_USERNAME"); username && redis.username.empty())
      redis.username = *username;
    if (auto reqs = variable("REDIS_SSL_CERT_REQS"); reqs && redis.ssl_cert_reqs.empty())
      redis.ssl_cert_reqs = *reqs;
    if (auto ca = variable("REDIS_SSL_CA_CERTS"); ca && redis.ssl_ca_certs.empty())
      redis.ssl_ca_certs = *ca;
  }

  // LiteLLM's strategy names; "usage-based-routing-v2" is its newer spelling of the same rule.
  void check_routing_strategy(RouterSettings& settings) {
    static constexpr std::string_view kKnown[] = {"simple-shuffle", "least-busy",
                                                  "latency-based-routing", "usage-based-routing",
                                                  "usage-based-routing-v2"};
    if (std::find(std::begin(kKnown), std::end(kKnown), settings.routing_strategy) !=
        std::end(kKnown))
      return;
    const std::string known =
        "simple-shuffle, least-busy, latency-based-routing, usage-based-routing";
    problems_.push_back(source_ + ": router_settings.routing_strategy: unknown strategy \"" +
                        settings.routing_strategy.substr(0, kMaxEchoedChars) +
                        "\" (known: " + known + ")");
  }

  // fallbacks, context_window_fallbacks, content_policy_fallbacks, default_fallbacks; false for
  // any other key.
  bool read_fallback_setting(const Field& field, FallbackSettings& settings) {
    if (field.key == "fallbacks") {
      settings.fallbacks = read_fallback_map(field);
    } else if (field.key == "context_window_fallbacks") {
      settings.context_window_fallbacks = read_fallback_map(field);
    } else if (field.key == "content_policy_fallbacks") {
      settings.content_policy_fallbacks = read_fallback_map(field);
    } else if (field.key == "default_fallbacks") {
      settings.default_fallbacks = read_name_list(field);
    } else {
      return false;
    }
    return true;
  }

  std::vector<std::string> read_name_list(const Field& field) {
    std::vector<std::string> names;
    for (const Field& item : items(field)) {
      if (std::optional<std::string> name = read_name(item)) names.push_back(std::move(*name));
    }
    return names;
  }

  // LiteLLM writes `[{group: [fallback, …]}, …]`; a single map `{group: [...], …}` is read too.
  FallbackMap read_fallback_map(const Field& field) {
    FallbackMap map;
    const auto add_entries = [&](const Field& entry_map) {
      for (const Field& entry : entries(entry_map)) {
        if (entry.node.IsScalar()) {
          if (std::optional<std::string> name = read_name(entry))
            map.emplace_back(entry.key, std::vector{*name});
        } else {
          map.emplace_back(entry.key, read_name_list(entry));
        }
      }
    };
    if (field.node.IsMap()) {
      add_entries(field);
      return map;
    }
    for (const Field& item : items(field)) add_entries(item);
    return map;
  }

  void read_retry_policy(const Field& block, std::vector<std::pair<std::string, int>>& policy) {
    static constexpr std::string_view kClasses[] = {"BadRequestErrorRetries",
                                                    "AuthenticationErrorRetries",
                                                    "TimeoutErrorRetries",
                                                    "RateLimitErrorRetries",
                                                    "ContentPolicyViolationErrorRetries",
                                                    "InternalServerErrorRetries"};
    for (const Field& field : entries(block)) {
      if (std::find(std::begin(kClasses), std::end(kClasses), field.key) == std::end(kClasses)) {
        ignore(field);
        continue;
      }
      if (auto count = read_integer(field, Sign::non_negative, INT_MAX)) {
        policy.emplace_back(field.key, static_cast<int>(*count));
      }
    }
  }

  // `alias: group`, or LiteLLM's `alias: {model: group, hidden: true}`.
  void read_model_group_alias(const Field& block,
                              std::vector<std::pair<std::string, std::string>>& aliases) {
    for (const Field& field : entries(block)) {
      if (field.node.IsMap()) {
        for (const Field& inner : entries(field)) {
          if (inner.key == "model") {
            if (auto group = read_name(inner)) aliases.emplace_back(field.key, std::move(*group));
          } else if (inner.key != "hidden") {
            ignore(inner);
          }
        }
      } else if (auto group = read_name(field)) {
        aliases.emplace_back(field.key, std::move(*group));
      }
    }
  }

  // Each entry must be one the destination policy understands: a typo must not go unnoticed.
  std::vector<std::string> read_destination_list(const Field& field) {
    std::vector<std::string> entries;
    net::DestinationPolicy policy;
    for (const Field& item : items(field)) {
      std::optional<std::string> entry = read_name(item);
      if (!entry) continue;
      if (auto allowed = policy.allow(*entry); !allowed) {
        problem(item, allowed.error().message);
        continue;
      }
      entries.push_back(std::move(*entry));
    }
    return entries;
  }

  void read_general_settings(const Field& block) {
    GeneralSettings& settings = config_.general_settings;
    std::optional<double> request_memory_mb;
    std::optional<Field> request_memory_field;
    for (const Field& field : section_entries(block)) {
      if (field.key == "callback_flush_interval_s") {  // llmux's own
        assign(config_.logging.flush_interval_s, read_number(field, Sign::positive));
      } else if (field.key == "master_key") {
        assign(settings.master_key, read_string(field));
      } else if (field.key == "max_request_size_mb") {
        assign(settings.max_request_size_mb, read_number(field, Sign::positive));
      } else if (field.key == "max_header_size_kb") {
        assign(settings.max_header_size_kb, read_integer(field, Sign::positive, LONG_MAX));
      } else if (field.key == "keepalive_timeout_s") {
        assign(settings.keepalive_timeout_s, read_number(field, Sign::positive));
      } else if (field.key == "request_read_timeout_s") {
        assign(settings.request_read_timeout_s, read_number(field, Sign::positive));
      } else if (field.key == "drain_timeout_s") {
        assign(settings.drain_timeout_s, read_number(field, Sign::positive));
      } else if (field.key == "max_connections") {
        assign(settings.max_connections, read_integer(field, Sign::positive, LONG_MAX));
      } else if (field.key == "max_connections_per_ip") {
        assign(settings.max_connections_per_ip, read_integer(field, Sign::positive, LONG_MAX));
      } else if (field.key == "max_requests_per_second_per_ip") {
        assign(settings.max_requests_per_second_per_ip, read_number(field, Sign::positive));
      } else if (field.key == "request_burst_per_ip") {
        assign(settings.request_burst_per_ip, read_number(field, Sign::positive));
      } else if (field.key == "use_x_forwarded_for") {
        assign(settings.use_x_forwarded_for, read_bool(field));
      } else if (field.key == "max_request_memory_mb") {
        request_memory_mb = read_number(field, Sign::positive);
        request_memory_field = field;
      } else if (field.key == "max_upstream_response_size_mb") {
        assign(settings.max_upstream_response_size_mb, read_number(field, Sign::positive));
      } else if (field.key == "max_upstream_event_size_mb") {
        assign(settings.max_upstream_event_size_mb, read_number(field, Sign::positive));
      } else if (field.key == "allow_client_side_credentials") {
        assign(settings.allow_client_side_credentials, read_bool(field));
      } else if (field.key == "allowed_client_api_base_hosts") {
        settings.allowed_client_api_base_hosts = read_destination_list(field);
      } else if (field.key == "database_url") {
        assign(settings.database_url, read_string(field));
      } else if (field.key == "proxy_batch_write_at") {
        assign(settings.proxy_batch_write_at_s, read_number(field, Sign::positive));
      } else if (field.key == "store_prompts_in_spend_logs") {
        assign(settings.store_prompts_in_spend_logs, read_bool(field));
      } else if (field.key == "disable_spend_logs") {
        assign(settings.disable_spend_logs, read_bool(field));
      } else if (field.key == "maximum_spend_logs_retention_period") {
        assign(settings.maximum_spend_logs_retention_period, read_string(field));
      } else if (field.key == "maximum_spend_logs_retention_interval") {
        assign(settings.maximum_spend_logs_retention_interval, read_string(field));
      } else if (field.key == "alerting") {
        read_alerting_channels(field);
      } else if (field.key == "alerting_threshold") {
        assign(config_.alerting.threshold_s, read_number(field, Sign::positive));
      } else if (field.key == "alert_types") {
        read_alert_types(field);
      } else if (field.key == "alerting_args") {
        read_alerting_args(field);
      } else if (field.key == "background_health_checks") {
        assign(settings.background_health_checks, read_bool(field));
      } else if (field.key == "health_check_interval") {
        assign(settings.health_check_interval_s, read_number(field, Sign::positive));
      } else if (field.key == "stored_response_retention_days") {
        assign(settings.stored_response_retention_days, read_number(field, Sign::positive));
      } else if (field.key == "max_stored_response_size_mb") {
        assign(settings.max_stored_response_size_mb, read_number(field, Sign::positive));
      } else if (field.key == "store_model_in_db") {
        store_model_in_db_given_ = true;
        assign(settings.store_model_in_db, read_bool(field));
      } else if (field.key == "fleet_lease_s") {
        assign(config_.fleet.lease_s, read_number(field, Sign::positive));
      } else {
        ignore(field);
      }
    }
    // Room for ten bodies of the largest size unless the config says otherwise; never less than
    // one.
    settings.max_request_memory_mb = request_memory_mb.value_or(10 * settings.max_request_size_mb);
    if (request_memory_mb && *request_memory_mb < settings.max_request_size_mb) {
      problem(*request_memory_field,
              "must be at least max_request_size_mb: a body of that size must fit");
    }
  }

  // alerting: [slack, webhook, email]: Slack's goes to SLACK_WEBHOOK_URL, webhook's to WEBHOOK_URL.
  void read_alerting_channels(const Field& field) {
    for (const Field& item : items(field)) {
      const std::optional<std::string> channel = read_name(item);
      if (!channel) continue;
      if (*channel == "slack") {
        slack_alerting_ = item;
      } else if (*channel == "webhook") {
        webhook_alerting_ = item;
      } else if (*channel == "email") {
        ignore(item);
      } else {
        problem(item, "unknown alerting channel (LiteLLM's: slack, webhook, email)");
      }
    }
  }

  void read_alert_types(const Field& field) {
    constexpr std::string_view kOtherLitellmTypes[] = {
        "llm_requests_hanging",  "spend_reports",        "failed_tracking_spend",
        "daily_reports",         "new_model_added",      "outage_alerts",
        "region_outage_alerts",  "fallback_reports",     "new_virtual_key_created",
        "virtual_key_updated",   "virtual_key_deleted",  "new_team_created",
        "team_updated",          "team_deleted",         "new_internal_user_created",
        "internal_user_updated", "internal_user_deleted"};
    AlertingSettings& alerting = config_.alerting;
    alerting.llm_exceptions = alerting.llm_too_slow = alerting.budget_alerts = false;
    alerting.cooldown_deployment = alerting.db_exceptions = false;
    for (const Field& item : items(field)) {
      const std::optional<std::string> type = read_name(item);
      if (!type) continue;
      if (*type == "llm_exceptions") {
        alerting.llm_exceptions = true;
      } else if (*type == "llm_too_slow") {
        alerting.llm_too_slow = true;
      } else if (*type == "budget_alerts") {
        alerting.budget_alerts = true;
      } else if (*type == "cooldown_deployment") {
        alerting.cooldown_deployment = true;
      } else if (*type == "db_exceptions") {
        alerting.db_exceptions = true;
      } else if (std::find(std::begin(kOtherLitellmTypes), std::end(kOtherLitellmTypes), *type) !=
                 std::end(kOtherLitellmTypes)) {
        ignore(item);
      } else {
        problem(item, "unknown alert type");
      }
    }
  }

  // alerting_args: LiteLLM's tuning of its alerts; llmux reads budget_alert_ttl.
  void read_alerting_args(const Field& field) {
    for (const Field& entry : entries(field)) {
      if (entry.key == "budget_alert_ttl") {
        assign(config_.alerting.budget_alert_ttl_s, read_number(entry, Sign::positive));
      } else {
        ignore(entry);
      }
    }
  }

  // Slack alerts go to SLACK_WEBHOOK_URL and webhook alerts to WEBHOOK_URL, as LiteLLM's; without
  // one, that channel sends nothing.
  void resolve_alerting_urls() {
    const auto url_of = [this](const std::optional<Field>& channel, std::string_view name,
                               std::string_view variable, std::string& url) {
      if (!channel) return;
      const std::string value = lookup(std::string(variable)).value_or("");
      if (!net::is_http_url(value)) {
        warn(*channel, std::string(name) + " alerting needs " + std::string(variable) +
                           " (an http(s) URL); no alert is sent");
        return;
      }
      url = value;
    };
    url_of(slack_alerting_, "slack", "SLACK_WEBHOOK_URL", config_.alerting.slack_webhook_url);
    url_of(webhook_alerting_, "webhook", "WEBHOOK_URL", config_.alerting.webhook_url);
  }

  std::optional<Field> slack_alerting_;    // where `alerting` names slack
  std::optional<Field> webhook_alerting_;  // where `alerting` names webhook
  std::string source_;
  const EnvLookup& env_;
  std::map<std::string, std::string> file_variables_;  // environment_variables as written
  std::vector<ListedCallback> listed_callbacks_;       // in the order the lists name them
  std::vector<Field> callback_settings_;
  std::optional<Field> semantic_cache_field_;  // cache_params of a redis-semantic cache
  Config config_;
  std::vector<std::string> problems_;
  bool store_model_in_db_given_ = false;
  int depth_ = 0;
  bool too_deep_ = false;
};

}  // namespace

LoadError::LoadError(std::vector<std::string> problem_list)
    : std::runtime_error(join_lines(problem_list)), problems(std::move(problem_list)) {}

std::optional<std::string> process_environment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Config load_file(const std::string& path, const EnvLookup& env) {
  const auto cannot_read = [&](int error) {
    return LoadError({path + ": cannot read: " + std::strerror(error)});
  };
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) throw cannot_read(errno);
  std::string text;
  char buffer[64 * 1024];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, count);
  if (std::ferror(file.get())) throw cannot_read(errno);
  return load_string(text, path, env);
}

Config load_string(std::string_view yaml, const std::string& source_name, const EnvLookup& env) {
  return Loader(source_name, env).load(yaml);
}

}  // namespace llmux::config
