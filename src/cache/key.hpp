// What a request asks of the response cache, and the keys its answer is stored under. Pure: a
// request body in, values out.
//
// A key is the SHA-256 (hex) of the endpoint, the model group and every field of the body that
// changes the answer, written in a canonical form (object members sorted by name, each value
// with its type), so two bodies that differ only in the order of their fields or in fields that
// do not reach the model (`user`, `metadata`, `stream`, the gateway's own routing fields) share
// an entry — a streamed request can be answered from a whole answer and the other way round. A
// namespace (the request's, else the config's) prefixes it: "<namespace>:<hash>", as LiteLLM
// writes its keys.
#pragma once

#include "api/request.hpp"
#include "base/error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::cache {

// LiteLLM's dynamic cache controls: the body's `cache` object, and `metadata.redis_namespace`.
struct Controls {
  bool no_cache = false;   // "no-cache": not answered from the cache (the answer is still stored)
  bool no_store = false;   // "no-store": the answer is not stored
  bool use_cache = false;  // "use-cache": opts in when the cache is default_off
  std::optional<double> ttl_s;      // "ttl": this answer's lifetime in the cache
  std::optional<double> max_age_s;  // "s-maxage" / "s-max-age": only younger entries answer
  std::string_view key_namespace;   // "namespace", else metadata.redis_namespace; a view into
                                    // the body
};

// Where LiteLLM's proxy also reads a request's controls, besides its body.
struct ControlSources {
  // The request's Cache-Control header: its `s-maxage=N` is this answer's lifetime in the cache
  // (LiteLLM reads it as the request's ttl), below the body's own `ttl`; other directives are
  // ignored.
  std::string_view cache_control;
  // The virtual key's metadata.cache, when it has one: it takes the place of the body's `cache`,
  // with only its ttl, s-maxage, no-cache and no-store (LiteLLM's key-level controls).
  const boost::json::value* key_controls = nullptr;
};

// A `cache` that is not an object, or a control of the wrong type, is a 400 naming it; so is a
// Cache-Control s-maxage that is not a number of seconds.
Result<Controls> read_controls(const boost::json::object& body, const ControlSources& sources = {});

// A virtual key's allowed_cache_controls (LiteLLM's): when the list is not empty, every control
// of the request's `cache` object (the key's metadata.cache when it has one, which takes its
// place) must be in it, else LiteLLM's 403 naming the first that is not. A `cache` that is not an
// object sets no control here (read_controls refuses it when the cache is on).
Result<void> check_allowed_controls(const boost::json::object& body, const ControlSources& sources,
                                    const std::vector<std::string>& allowed);

// The key of a whole answer to `body` from `model_group` (the group after a key's alias).
std::string answer_key(api::Endpoint endpoint, std::string_view model_group,
                       const boost::json::object& body, std::string_view key_namespace);

// An embeddings request's inputs, each cached on its own: the items of an `input` array of
// strings (or of token arrays), else the whole `input` (a string, or one array of tokens).
std::vector<const boost::json::value*> embedding_inputs(const boost::json::object& body);

// The key of one input's embedding: the request's key with `input` standing for that input.
std::string embedding_key(std::string_view model_group, const boost::json::object& body,
                          const boost::json::value& input, std::string_view key_namespace);

// The semantic cache's scope of a request: the key of everything but its prompt (`messages`, or
// `prompt` for a text completion), so that only calls with the same model group and parameters
// share answers.
std::string scope_key(api::Endpoint endpoint, std::string_view model_group,
                      const boost::json::object& body, std::string_view key_namespace);

// The prompt a semantic cache embeds: the text of every message's content (a string, or its text
// parts), one message a line; for a text completion, its prompt (strings of a list, a line each).
// Empty when there is no text.
std::string prompt_text(api::Endpoint endpoint, const boost::json::object& body);

}  // namespace llmux::cache
