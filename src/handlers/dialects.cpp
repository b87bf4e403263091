#include "handlers/dialects.hpp"

#include "api/error_body.hpp"
#include "providers/params.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

namespace llmux::handlers {

namespace json = boost::json;

std::string Dialect::stream_error(const Error& error) {
  std::string event;
  providers::wire::append_data_event(event, api::error_body(error));
  return event;
}

std::string Dialect::error_body(const Error& error) { return api::error_body(error); }

template <class Writer>
std::string_view ChunkTranslator<Writer>::frames(std::string_view chat_frames, bool last) {
  out_.clear();
  // The relay's frames are the gateway's own SSE: an event never outgrows the parser.
  parser_.feed(chat_frames, *this);
  if (last) {
    parser_.finish(*this);
    writer_.finish(usage_, out_);
  }
  return out_;
}

template <class Writer>
void ChunkTranslator<Writer>::dispatch(const providers::wire::SseEventView& event) {
  if (event.data == "[DONE]") {
    writer_.finish(usage_, out_);
    return;
  }
  // A chunk's document lives for this call only: on a stack arena, a fresh one per chunk.
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer, sizeof buffer);
  json::error_code ec;
  const json::value chunk = json::parse(event.data, ec, &arena);
  if (ec || !chunk.is_object()) return;
  if (const auto* usage = chunk.get_object().if_contains("usage"); usage && usage->is_object())
    usage_ = api::usage_from_json(usage);
  writer_.chunk(chunk.get_object(), out_);
}

namespace {

// LiteLLM's own fields (fallbacks, num_retries, timeout, user_config, mock_response, …) steer the
// call whatever the dialect: they go with it.
void carry_gateway_fields(const json::object& client, json::object& chat) {
  for (const auto& [key, value] : client) {
    if (providers::is_gateway_only_field(key) && !chat.contains(key)) chat[key] = value;
  }
}

Result<api::Request> chat_request(const json::object& client,
                                  Result<json::object> (*to_chat)(const json::object&)) {
  auto chat = to_chat(client);
  if (!chat) return chat.error();
  carry_gateway_fields(client, *chat);
  return api::request_from_body(api::Endpoint::chat_completions, std::move(*chat));
}

}  // namespace

Result<api::Request> MessagesDialect::translate(api::Request& client) {
  body_ = &client.body;
  return chat_request(client.body, &api::messages_to_chat);
}

Result<std::string> MessagesDialect::answer(std::string chat_answer, const api::Usage& usage) {
  return api::chat_answer_to_message(chat_answer, usage, *body_);
}

std::string_view MessagesDialect::frames(std::string_view chat_frames, bool last) {
  if (!chunks_) chunks_.emplace(writer_.emplace(*body_));
  return chunks_->frames(chat_frames, last);
}

std::string MessagesDialect::stream_error(const Error& error) {
  return api::messages_stream_error(error);
}

Result<api::Request> ResponsesDialect::translate(api::Request& client) {
  body_ = &client.body;
  if (const auto* previous = client.body.if_contains("previous_response_id");
      previous && !previous->is_null()) {
    return make_error(ErrorKind::invalid_request,
                      "previous_response_id is not supported: this gateway does not store "
                      "responses. Send the conversation in 'input'.",
                      "previous_response_id");
  }
  return chat_request(client.body, &api::responses_to_chat);
}

Result<std::string> ResponsesDialect::answer(std::string chat_answer, const api::Usage& usage) {
  return api::chat_answer_to_response(chat_answer, usage, *body_);
}

std::string_view ResponsesDialect::frames(std::string_view chat_frames, bool last) {
  if (!chunks_) chunks_.emplace(writer_.emplace(*body_));
  return chunks_->frames(chat_frames, last);
}

std::string ResponsesDialect::stream_error(const Error& error) {
  return api::responses_stream_error(error, writer_ ? writer_->next_sequence() : 0);
}

template class ChunkTranslator<api::MessagesStreamWriter>;
template class ChunkTranslator<api::ResponsesStreamWriter>;

}  // namespace llmux::handlers
