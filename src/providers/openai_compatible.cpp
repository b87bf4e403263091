#include "providers/openai_compatible.hpp"

#include "providers/json_fields.hpp"
#include "providers/openai_responses.hpp"
#include "providers/params.hpp"
#include "providers/sse_stream_decoder.hpp"
#include "providers/usage_estimate.hpp"

#include "api/embeddings.hpp"
#include "api/json_scan.hpp"
#include "base/json_string.hpp"
#include "providers/wire/sse.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>

namespace llmux::providers {

namespace json = boost::json;

namespace {

class OpenAiLayout final : public OpenAiAddressing {
 public:
  Result<std::string> url(const Target& target, api::Endpoint endpoint) const override {
    std::string url = target.api_base;
    url += api::endpoint_path(endpoint);
    return url;
  }

  void add_credentials(const Target& target, Headers& headers) const override {
    if (!target.api_key.empty()) headers.emplace_back("Authorization", "Bearer " + target.api_key);
    if (!target.organization.empty())
      headers.emplace_back("OpenAI-Organization", target.organization);
  }
};

const OpenAiLayout kOpenAiLayout;

// Sets the top-level "model" of an OpenAI object to what the client asked for.
void set_model(json::object& object, std::string_view client_model) {
  if (auto* model = object.if_contains("model")) *model = client_model;
}

// The answer's text with its "model" value replaced by `quoted_model` (a JSON string literal);
// every other byte stays as the provider wrote it.
void append_with_model(std::string& out, std::string_view answer, const api::AnswerLayout& layout,
                       std::string_view quoted_model) {
  if (layout.model.empty())
    out.append(answer);
  else
    api::append_spliced(out, answer, layout.model, quoted_model);
}

api::Usage parse_usage(std::string_view answer, const api::AnswerLayout& layout) {
  if (layout.usage.empty()) return {};
  return api::usage_from_text(layout.usage.in(answer));
}

class OpenAiStreamDecoder final : public SseStreamDecoder {
 public:
  OpenAiStreamDecoder(std::string_view client_model, bool relay_usage_chunk,
                      std::size_t max_event_bytes)
      : SseStreamDecoder(max_event_bytes),
        quoted_model_(quoted(client_model)),
        relay_usage_chunk_(relay_usage_chunk) {}

  const api::Usage& usage() const override { return usage_; }

 private:
  Result<void> on_event(const wire::SseEventView& event, std::string& out) override {
    if (event.data.empty()) return {};
    if (event.data.starts_with("[DONE]")) {
      out += "data: [DONE]\n\n";
      mark_done();
      return {};
    }
    api::AnswerLayout layout;
    if (!chunks_.scan(event.data, layout)) {
      return make_error(ErrorKind::upstream_failed,
                        "The upstream stream sent an event that is not a JSON object.");
    }
    // An in-band error ends the stream. It is the gateway's failure to report (in band once the
    // stream has started, else retried or answered with its status), not bytes to relay: an
    // upstream's words are masked before they reach the client.
    if (!layout.error.empty()) return decode_openai_error(500, event.data);
    const bool no_choices =
        !layout.choices.empty() && api::is_empty_array(event.data, layout.choices);
    bool usage_only = false;
    if (!layout.usage.empty() && layout.usage.in(event.data) != "null") {
      usage_ = parse_usage(event.data, layout);
      usage_only = no_choices;
    } else if (no_choices) {
      // Azure opens a stream with a chunk that has no choices, only prompt_filter_results (and
      // an empty id): OpenAI clients expect a choice in every chunk but the usage chunk.
      return {};
    }
    if (layout.finish_reason) saw_finish_reason_ = true;
    if (usage_only && !relay_usage_chunk_) return {};
    const std::size_t start = out.size();
    out += "data: ";
    append_with_model(out, event.data, layout, quoted_model_);
    // Several data lines make one event, joined by '\n' (whitespace to JSON): relayed as they
    // are, they would end the client's frame early. Found by fuzz_providers_stream.
    if (event.data.find('\n') != std::string_view::npos)
      std::replace(out.begin() + static_cast<std::ptrdiff_t>(start), out.end(), '\n', ' ');
    out += "\n\n";
    return {};
  }

  // Some servers end without [DONE]: after a finish_reason the answer is complete.
  Result<void> on_close(std::string& out) override {
    if (!saw_finish_reason_) return ended_early();
    out += "data: [DONE]\n\n";
    mark_done();
    return {};
  }

  std::string quoted_model_;
  api::ChunkScanner chunks_;  // the chunks repeat their first members: those are scanned once
  bool relay_usage_chunk_;
  api::Usage usage_;
  bool saw_finish_reason_ = false;
};

}  // namespace

const OpenAiAddressing& openai_addressing() { return kOpenAiLayout; }

namespace {

// A member of the upstream body: its key, the key as a JSON string literal, and its value's text.
struct Member {
  std::string_view key;
  std::string_view quoted_key;
  std::string_view value;
};
using Members = std::vector<Member>;

// The client's members as written, so numbers and strings reach the provider byte for byte (the
// keys too, quotes included). The body is well-formed (parse_request parsed it), so it is only
// split, not validated again. False when a key is written with escapes: the caller falls back to
// the parsed body.
bool members_as_written(std::string_view text, Members& members) {
  bool escaped_key = false;
  api::for_each_member_of_valid(text, [&](std::string_view key, api::Span value) {
    if (key.find('\\') != std::string_view::npos) escaped_key = true;
    members.push_back(
        Member{key, std::string_view(key.data() - 1, key.size() + 2), value.in(text)});
  });
  return !escaped_key;
}

// The same from the parsed body; `storage` keeps the serialised keys and values alive.
void members_as_parsed(const json::object& body, Members& members,
                       std::vector<std::string>& storage) {
  storage.reserve(2 * body.size());
  for (const auto& [key, value] : body) {
    std::string quoted_key;
    append_json_string(quoted_key, key);
    storage.push_back(std::move(quoted_key));
    const std::string_view quoted = storage.back();
    storage.push_back(json::serialize(value));
    members.push_back(Member{key, quoted, storage.back()});
  }
}

}  // namespace

Result<UpstreamRequest> OpenAiCompatibleProvider::encode(const api::Request& request,
                                                         const Target& target) const {
  auto url = addressing_.url(target, request.endpoint);
  if (!url) return url.error();
  Members members;
  members.reserve(request.body.size() + 2);
  std::vector<std::string> storage;
  if (!members_as_written(request.text, members)) {
    members.clear();
    members_as_parsed(request.body, members, storage);
  }
  const bool add_stream_usage = request.stream && ask_stream_usage_ && !request.include_usage &&
                                request.endpoint == api::Endpoint::chat_completions;

  std::string body;
  body.reserve(request.text.size() + target.upstream_model.size() + 64);
  body += '{';
  auto add_quoted = [&](std::string_view quoted_key, std::string_view value) {
    if (body.size() > 1) body += ',';
    body += quoted_key;
    body += ':';
    body += value;
  };
  auto add = [&](std::string_view key, std::string_view value) { add_quoted(quoted(key), value); };
  body += R"("model":)";  // first: no comma before it
  append_json_string(body, target.upstream_model);
  for (const auto& [key, quoted_key, value] : members) {
    if (key == "model" || is_gateway_only_field(key) ||
        (add_stream_usage && key == "stream_options"))
      continue;
    add_quoted(quoted_key, value);
  }
  for (const auto& [key, value] : target.default_params) {
    if (!request.body.contains(key) && takes_request_default(request.endpoint, key))
      add(key, json::serialize(value));
  }
  if (add_stream_usage) {
    json::object options;
    if (const auto* given = request.body.if_contains("stream_options"); given && given->is_object())
      options = given->get_object();
    options["include_usage"] = true;
    add_quoted(R"("stream_options")", json::serialize(options));
  }
  body += '}';

  UpstreamRequest upstream{.url = std::move(*url), .body = std::move(body)};
  upstream.headers.reserve(2 + target.extra_headers.size());
  addressing_.add_credentials(target, upstream.headers);
  for (const auto& header : target.extra_headers) upstream.headers.push_back(header);
  return upstream;
}

Result<Reply> OpenAiCompatibleProvider::decode(const api::Request& request, std::string_view body,
                                               std::string_view client_model) const {
  if (request.endpoint == api::Endpoint::responses) return decode_responses_answer(body);
  api::AnswerLayout layout;
  if (!api::scan_answer(body, layout)) {
    return Error{.kind = ErrorKind::upstream_failed,
                 .message = "The upstream answered with a body that is not a JSON object."};
  }
  if (!layout.error.empty()) return decode_error(500, body);  // an error sent with a 2xx
  if (request.endpoint == api::Endpoint::embeddings && api::wants_base64(request)) {
    // The client asked for base64 but the upstream may have sent floats: re-encode them.
    json::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (ec || !parsed.is_object()) {
      return Error{.kind = ErrorKind::upstream_failed,
                   .message = "The upstream answered with a body that is not valid JSON."};
    }
    auto& object = parsed.get_object();
    set_model(object, client_model);
    api::convert_embeddings_to_base64(object);
    return Reply{.body = json::serialize(object),
                 .usage = api::usage_from_json(object.if_contains("usage"))};
  }
  Reply reply{.usage = parse_usage(body, layout)};
  reply.body.reserve(body.size() + client_model.size());
  append_with_model(reply.body, body, layout, quoted(client_model));
  estimate_missing_usage(reply, request);
  return reply;
}

Error OpenAiCompatibleProvider::decode_error(int status, std::string_view body) const {
  return decode_openai_error(status, body);
}

std::unique_ptr<StreamDecoder> OpenAiCompatibleProvider::make_stream_decoder(
    const api::Request& request, std::string_view client_model, std::size_t max_event_bytes) const {
  if (request.endpoint == api::Endpoint::responses)
    return make_responses_stream_decoder(max_event_bytes);
  if (ask_stream_usage_) {
    return std::make_unique<OpenAiStreamDecoder>(
        client_model, /*relay_usage_chunk=*/request.include_usage, max_event_bytes);
  }
  // A server that may not send usage: relay its usage chunk if it does, estimate if it does not.
  return with_estimated_usage(std::make_unique<OpenAiStreamDecoder>(
                                  client_model, /*relay_usage_chunk=*/true, max_event_bytes),
                              request, client_model);
}

Error decode_openai_error(int status, std::string_view body) {
  Error error{.kind = kind_from_status(status), .status = status};
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  const json::object* detail = nullptr;
  if (!ec && parsed.is_object()) {
    const auto* inner = parsed.get_object().if_contains("error");
    if (inner && inner->is_object())
      detail = &inner->get_object();
    else if (inner && inner->is_string())
      error.message = inner->get_string();
    else if (const auto* message = parsed.get_object().if_contains("message");
             message && message->is_string())
      error.message = message->get_string();
  }
  if (detail) {
    if (const auto* message = detail->if_contains("message"); message && message->is_string())
      error.message = message->get_string();
    if (const auto* type = detail->if_contains("type"); type && type->is_string())
      error.type = type->get_string();
    if (const auto* param = detail->if_contains("param"); param && param->is_string())
      error.param = param->get_string();
    if (const auto* code = detail->if_contains("code")) {
      if (code->is_string())
        error.code = code->get_string();
      else if (code->is_number())
        error.code = json::serialize(*code);
    }
  }
  if (error.message.empty()) error.message = status_message("The upstream", status, body);
  if (error.code == "context_length_exceeded") error.kind = ErrorKind::context_window_exceeded;
  if (error.code == "content_policy_violation" || error.code == "content_filter") {
    error.kind = ErrorKind::content_policy;
    error.code.clear();  // the client sees OpenAI's content_policy_violation
    // Azure says which filter categories fired in innererror.content_filter_result; keep it.
    const auto* inner = detail ? detail->if_contains("innererror") : nullptr;
    const auto* result = inner && inner->is_object()
                             ? inner->get_object().if_contains("content_filter_result")
                             : nullptr;
    if (result) {
      error.message += " content_filter_result: ";
      error.message += json::serialize(*result);
    }
  }
  return error;
}

}  // namespace llmux::providers
