#include "cache/key.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

namespace llmux::cache {

namespace json = boost::json;

namespace {

// Fields that never change the answer: who asks, how it is delivered, and the gateway's own
// routing and logging fields. Everything else a client sends is part of the key, so an unknown
// field that does change the answer can never be answered from another request's entry.
constexpr std::string_view kNotAnswerFields[] = {
    "model",  // stands for itself as the model group, after a key's alias
    "user",
    "metadata",
    "litellm_metadata",
    "stream",
    "stream_options",
    "cache",
    "caching",
    "tags",
    "num_retries",
    "max_retries",
    "fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "disable_fallbacks",
    "timeout",
    "stream_timeout",
    "request_timeout",
    "litellm_call_id",
    "litellm_logging_obj",
    "proxy_server_request",
};

bool is_answer_field(std::string_view name) {
  return std::find(std::begin(kNotAnswerFields), std::end(kNotAnswerFields), name) ==
         std::end(kNotAnswerFields);
}

void append_count(std::string& out, std::size_t count) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, count).ptr;
  out.append(digits, end);
  out += ':';
}

void append_text(std::string& out, std::string_view text) {
  append_count(out, text.size());
  out += text;
}

template <class Keep>
void append_sorted_members(std::string& out, const json::object& object, Keep keep);

// One value in a form that differs whenever the values differ: each value tagged with its type,
// strings and containers with their lengths, object members sorted by name.
void append_canonical(std::string& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::null: out += 'n'; return;
    case json::kind::bool_: out += value.get_bool() ? 't' : 'f'; return;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: {
      char digits[32];
      char* end = nullptr;
      if (value.is_int64()) {
        out += 'i';
        end = std::to_chars(digits, digits + sizeof digits, value.get_int64()).ptr;
      } else if (value.is_uint64()) {
        out += 'u';
        end = std::to_chars(digits, digits + sizeof digits, value.get_uint64()).ptr;
      } else {
        out += 'd';
        end = std::to_chars(digits, digits + sizeof digits, value.get_double()).ptr;
      }
      out.append(digits, end);
      out += ';';
      return;
    }
    case json::kind::string:
      out += 's';
      append_text(out, value.get_string());
      return;
    case json::kind::array:
      out += 'a';
      append_count(out, value.get_array().size());
      for (const json::value& item : value.get_array()) append_canonical(out, item);
      return;
    case json::kind::object:
      out += 'o';
      append_sorted_members(out, value.get_object(), [](std::string_view) { return true; });
      return;
  }
}

// The members of `object` that `keep` names, sorted by name: their count, then each name and
// value. Sorted in place on the stack for the usual small objects (a message's role and content):
// a vector allocated per object cost more than the rest of its text.
template <class Keep>
void append_sorted_members(std::string& out, const json::object& object, Keep keep) {
  constexpr std::size_t kOnStack = 16;
  const json::key_value_pair* on_stack[kOnStack];
  std::vector<const json::key_value_pair*> on_heap;
  const json::key_value_pair** members = on_stack;
  if (object.size() > kOnStack) {
    on_heap.resize(object.size());
    members = on_heap.data();
  }
  std::size_t count = 0;
  for (const json::key_value_pair& member : object) {
    if (keep(member.key())) members[count++] = &member;
  }
  std::sort(members, members + count,
            [](const auto* a, const auto* b) { return a->key() < b->key(); });
  append_count(out, count);
  for (std::size_t i = 0; i < count; ++i) {
    append_text(out, members[i]->key());
    append_canonical(out, members[i]->value());
  }
}

// The members of the body that change the answer, sorted by name, but `skip`.
void append_answer_fields(std::string& out, const json::object& body, std::string_view skip = {}) {
  append_sorted_members(
      out, body, [skip](std::string_view name) { return is_answer_field(name) && name != skip; });
}

// The text a key is the hash of, built in one buffer per thread (no allocation once it has
// grown to the size of the usual body).
std::string& key_text(std::string_view kind, std::string_view endpoint,
                      std::string_view model_group) {
  thread_local std::string text;
  text.clear();
  append_text(text, kind);
  append_text(text, endpoint);
  append_text(text, model_group);
  return text;
}

std::string sha256_hex(std::string_view text, std::string_view key_namespace) {
  // Fetched once and one context per thread: EVP_Digest with EVP_sha256() looks the algorithm up
  // and allocates a context on every call, which cost more than the hash itself.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(
      EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestInit_ex(context.get(), kSha256, nullptr);
  EVP_DigestUpdate(context.get(), text.data(), text.size());
  EVP_DigestFinal_ex(context.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t prefix = key_namespace.empty() ? 0 : key_namespace.size() + 1;
  std::string key(prefix + 2 * length, ':');
  key_namespace.copy(key.data(), key_namespace.size());
  char* hex = key.data() + prefix;
  for (unsigned int i = 0; i < length; ++i) {
    *hex++ = kHex[digest[i] >> 4];
    *hex++ = kHex[digest[i] & 0xf];
  }
  return key;
}

Error control_error(std::string message) {
  return make_error(ErrorKind::invalid_request, std::move(message), "cache");
}

// A control that must be a JSON boolean: absent is false.
Result<bool> read_flag(const json::object& controls, std::string_view name) {
  const json::value* value = controls.if_contains(name);
  if (!value || value->is_null()) return false;
  if (!value->is_bool())
    return control_error("Invalid 'cache': \"" + std::string(name) + "\" must be true or false.");
  return value->get_bool();
}

// A number of seconds, not negative.
Result<std::optional<double>> read_seconds(const json::object& controls, std::string_view name) {
  const json::value* value = controls.if_contains(name);
  if (!value || value->is_null()) return std::optional<double>();
  if (!value->is_number() || value->to_number<double>() < 0) {
    return control_error("Invalid 'cache': \"" + std::string(name) +
                         "\" must be a number of seconds (0 or more).");
  }
  return std::optional<double>(value->to_number<double>());
}

// The controls a key's metadata.cache may set (LiteLLM's SupportedCacheControls).
constexpr std::string_view kKeyControls[] = {"ttl", "s-maxage", "no-cache", "no-store"};

json::object key_level_controls(const json::value& key_controls) {
  json::object kept;
  if (const json::object* object = key_controls.if_object()) {
    for (std::string_view name : kKeyControls) {
      if (const json::value* value = object->if_contains(name)) kept[name] = *value;
    }
  }
  return kept;
}

// The request's `cache`, or the key's metadata.cache in its place (held in `from_key`).
const json::value* controls_object(const json::object& body, const ControlSources& sources,
                                   json::value& from_key) {
  if (!sources.key_controls) return body.if_contains("cache");
  from_key = key_level_controls(*sources.key_controls);
  return &from_key;
}

bool same_directive(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The `s-maxage=N` of a Cache-Control header, in seconds; nullopt when it has none.
Result<std::optional<double>> header_max_age(std::string_view header) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    const std::string_view directive = trimmed(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const std::size_t equals = directive.find('=');
    if (equals == std::string_view::npos ||
        !same_directive(trimmed(directive.substr(0, equals)), "s-maxage")) {
      continue;
    }
    std::string_view number = trimmed(directive.substr(equals + 1));
    if (number.size() >= 2 && number.front() == '"' && number.back() == '"')
      number = number.substr(1, number.size() - 2);
    double seconds = -1;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), seconds);
    if (ec != std::errc() || end != number.data() + number.size() || seconds < 0) {
      return make_error(ErrorKind::invalid_request,
                        "Invalid Cache-Control header: s-maxage must be a number of seconds (0 "
                        "or more).");
    }
    return std::optional<double>(seconds);
  }
  return std::optional<double>();
}

}  // namespace

Result<Controls> read_controls(const json::object& body, const ControlSources& sources) {
  Controls controls;
  if (const json::value* metadata = body.if_contains("metadata");
      metadata && metadata->is_object()) {
    const json::value* space = metadata->get_object().if_contains("redis_namespace");
    if (space && space->is_string()) controls.key_namespace = space->get_string();
  }
  auto header_ttl = header_max_age(sources.cache_control);
  if (!header_ttl) return header_ttl.error();
  controls.ttl_s = *header_ttl;
  json::value from_key;
  const json::value* value = controls_object(body, sources, from_key);
  if (!value || value->is_null()) return controls;
  if (!value->is_object()) {
    return control_error(
        "Invalid 'cache': expected an object of cache controls (no-cache, no-store, ttl, "
        "s-maxage, namespace, use-cache).");
  }
  const json::object& object = value->get_object();
  auto no_cache = read_flag(object, "no-cache");
  if (!no_cache) return no_cache.error();
  auto no_store = read_flag(object, "no-store");
  if (!no_store) return no_store.error();
  auto use_cache = read_flag(object, "use-cache");
  if (!use_cache) return use_cache.error();
  auto ttl = read_seconds(object, "ttl");
  if (!ttl) return ttl.error();
  auto max_age = read_seconds(object, "s-maxage");
  if (!max_age) return max_age.error();
  if (!*max_age) {
    max_age = read_seconds(object, "s-max-age");
    if (!max_age) return max_age.error();
  }
  controls.no_cache = *no_cache;
  controls.no_store = *no_store;
  controls.use_cache = *use_cache;
  if (*ttl) controls.ttl_s = *ttl;
  controls.max_age_s = *max_age;
  if (const json::value* space = object.if_contains("namespace"); space && !space->is_null()) {
    if (!space->is_string())
      return control_error("Invalid 'cache': \"namespace\" must be a string.");
    if (!space->get_string().empty()) controls.key_namespace = space->get_string();
  }
  return controls;
}

Result<void> check_allowed_controls(const json::object& body, const ControlSources& sources,
                                    const std::vector<std::string>& allowed) {
  if (allowed.empty()) return {};
  json::value from_key;
  const json::value* value = controls_object(body, sources, from_key);
  const json::object* object = value ? value->if_object() : nullptr;
  if (!object) return {};
  for (const auto& control : *object) {
    if (std::find(allowed.begin(), allowed.end(), control.key()) != allowed.end()) continue;
    return make_error(ErrorKind::forbidden, "Not allowed to set " + std::string(control.key()) +
                                                " as a cache control. Contact admin to change "
                                                "permissions.");
  }
  return {};
}

std::string answer_key(api::Endpoint endpoint, std::string_view model_group,
                       const json::object& body, std::string_view key_namespace) {
  std::string& text = key_text("answer", api::endpoint_path(endpoint), model_group);
  append_answer_fields(text, body);
  return sha256_hex(text, key_namespace);
}

std::vector<const json::value*> embedding_inputs(const json::object& body) {
  std::vector<const json::value*> inputs;
  const json::value* input = body.if_contains("input");
  if (!input) return inputs;
  const json::array* items = input->if_array();
  const bool one_token_array =
      items && !items->empty() &&
      std::all_of(items->begin(), items->end(),
                  [](const json::value& item) { return item.is_number(); });
  if (!items || one_token_array) {
    inputs.push_back(input);
    return inputs;
  }
  for (const json::value& item : *items) inputs.push_back(&item);
  return inputs;
}

std::string embedding_key(std::string_view model_group, const json::object& body,
                          const json::value& input, std::string_view key_namespace) {
  std::string& text =
      key_text("embedding", api::endpoint_path(api::Endpoint::embeddings), model_group);
  append_answer_fields(text, body, "input");
  append_canonical(text, input);
  return sha256_hex(text, key_namespace);
}

namespace {

// The field that carries a call's prompt: what a semantic cache compares instead of matching it.
std::string_view prompt_field(api::Endpoint endpoint) {
  return endpoint == api::Endpoint::completions ? "prompt" : "messages";
}

// The text of one message's content: a string, or its text parts.
void append_content_text(std::string& out, const json::value& content) {
  if (const json::string* text = content.if_string()) {
    out.append(text->data(), text->size());
    return;
  }
  const json::array* parts = content.if_array();
  if (!parts) return;
  bool first = true;
  for (const json::value& part : *parts) {
    const json::object* object = part.if_object();
    const json::value* text = object ? object->if_contains("text") : nullptr;
    if (!text || !text->is_string()) continue;
    if (!first) out += '\n';
    out.append(text->as_string().data(), text->as_string().size());
    first = false;
  }
}

}  // namespace

std::string scope_key(api::Endpoint endpoint, std::string_view model_group,
                      const json::object& body, std::string_view key_namespace) {
  std::string& text = key_text("scope", api::endpoint_path(endpoint), model_group);
  append_answer_fields(text, body, prompt_field(endpoint));
  return sha256_hex(text, key_namespace);
}

std::string prompt_text(api::Endpoint endpoint, const json::object& body) {
  std::string text;
  const json::value* prompt = body.if_contains(prompt_field(endpoint));
  if (!prompt) return text;
  if (endpoint == api::Endpoint::completions) {
    if (const json::string* single = prompt->if_string()) return std::string(*single);
    if (const json::array* items = prompt->if_array()) {
      for (const json::value& item : *items) {
        if (!item.is_string()) continue;
        if (!text.empty()) text += '\n';
        text += item.as_string();
      }
    }
    return text;
  }
  const json::array* messages = prompt->if_array();
  if (!messages) return text;
  for (const json::value& message : *messages) {
    const json::object* object = message.if_object();
    const json::value* content = object ? object->if_contains("content") : nullptr;
    if (!content) continue;
    if (!text.empty()) text += '\n';
    append_content_text(text, *content);
  }
  return text;
}

}  // namespace llmux::cache
