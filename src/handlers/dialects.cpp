#include "handlers/dialects.hpp"

#include "api/error_body.hpp"
#include "api/json_scan.hpp"
#include "base/ids.hpp"
#include "providers/params.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

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

// The call as the relay sends it: the chat form (with LiteLLM's fields), and the call in the
// client's dialect for a deployment that speaks it, whole; what the chat form left out refuses
// every other deployment.
api::Request chat_call(json::object chat, const json::object& client_body,
                       const api::Request& native, std::optional<Error> left_out) {
  carry_gateway_fields(client_body, chat);
  api::Request request = api::request_from_body(api::Endpoint::chat_completions, std::move(chat));
  request.native = &native;
  request.left_out_of_chat = std::move(left_out);
  return request;
}

}  // namespace

MessagesDialect::MessagesDialect(std::vector<std::pair<std::string, std::string>> headers)
    : headers_(std::move(headers)) {
  std::erase_if(headers_, [](const auto& header) { return header.second.empty(); });
}

Result<api::Request> MessagesDialect::translate(api::Request& client) {
  body_ = &client.body;
  client.native_headers = std::move(headers_);
  // What a chat completion cannot carry is left out of it: the call still goes whole to a
  // deployment that speaks the Messages API, and any other refuses it (relay).
  std::optional<Error> left_out;
  auto chat = api::messages_to_chat(client.body, &left_out);
  if (!chat) return chat.error();
  return chat_call(std::move(*chat), client.body, client, std::move(left_out));
}

Result<std::string> MessagesDialect::answer(std::string chat_answer, const api::Usage& usage,
                                            bool native) {
  if (native) return chat_answer;
  return api::chat_answer_to_message(chat_answer, usage, *body_);
}

std::string_view MessagesDialect::frames(std::string_view chat_frames, bool last, bool native) {
  if (native) return chat_frames;
  if (!chunks_) chunks_.emplace(writer_.emplace(*body_));
  return chunks_->frames(chat_frames, last);
}

std::string MessagesDialect::stream_error(const Error& error) {
  return api::messages_stream_error(error);
}

ResponsesDialect::ResponsesDialect(StoredResponses& stored)
    : stored_(stored), id_(make_object_id("resp_")) {
  stateful_ = stored.available();
}

namespace {

const json::value* previous_response_id(const json::object& body) {
  const auto* previous = body.if_contains("previous_response_id");
  return previous && !previous->is_null() ? previous : nullptr;
}

// A stored response's conversation: what it answered, then its output.
Result<json::array> stored_conversation(const store::StoredResponse& stored) {
  json::error_code ec;
  json::value input = json::parse(stored.input_items, ec);
  json::value response = ec ? json::value() : json::parse(stored.response, ec);
  const auto* output = response.is_object() ? response.get_object().if_contains("output") : nullptr;
  if (ec || !input.is_array() || !output || !output->is_array())
    return make_error(ErrorKind::internal, "A stored response could not be read.");
  json::array conversation = std::move(input.get_array());
  for (const auto& item : output->get_array()) conversation.push_back(item);
  return conversation;
}

// Stored input items carry an id, as OpenAI lists them (the client's own when it sent one).
json::array with_item_ids(json::array items) {
  for (auto& value : items) {
    auto* item = value.if_object();
    if (!item || item->contains("id")) continue;
    const auto* type = item->if_contains("type");
    const std::string_view kind = type && type->is_string() ? std::string_view(type->get_string())
                                                            : std::string_view("message");
    (*item)["id"] = make_object_id(kind == "message"                ? "msg_"
                                   : kind == "function_call"        ? "fc_"
                                   : kind == "function_call_output" ? "fco_"
                                                                    : "item_");
  }
  return items;
}

std::string_view string_member(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

// The input's item_reference items that name an item of the conversation continued: that item's
// content (without its id and status: it is a new item of this call).
void resolve_item_references(json::array& input, const json::array& conversation) {
  for (auto& value : input) {
    const auto* item = value.if_object();
    if (!item || string_member(*item, "type") != "item_reference") continue;
    const auto id = string_member(*item, "id");
    for (const auto& stored : conversation) {
      const auto* stored_item = stored.if_object();
      if (stored_item && !id.empty() && string_member(*stored_item, "id") == id) {
        json::object resolved = *stored_item;
        resolved.erase("id");
        resolved.erase("status");
        value = std::move(resolved);
        break;
      }
    }
  }
}

// A JSON object's top-level "id" (a response's), from its text.
std::string top_level_id(std::string_view text) {
  std::string id;
  api::for_each_member_of_valid(text, [&](std::string_view key, api::Span value) {
    const auto quoted = value.in(text);
    if (key == "id" && id.empty() && quoted.size() >= 2 && quoted.front() == '"')
      id = quoted.substr(1, quoted.size() - 2);
  });
  return id;
}

}  // namespace

std::string_view PassedResponseStream::frames(std::string_view upstream_frames) {
  out_.clear();
  parser_.feed(upstream_frames, *this);
  return out_;
}

void PassedResponseStream::dispatch(const providers::wire::SseEventView& event) {
  ++count_;
  const bool final = event.event == "response.completed" || event.event == "response.incomplete";
  // The events that carry the whole response: only those are read.
  const bool carries_response = final || event.event == "response.created" ||
                                event.event == "response.in_progress" ||
                                event.event == "response.queued";
  std::string rewritten;
  if (carries_response) {
    api::for_each_member_of_valid(event.data, [&](std::string_view key, api::Span value) {
      if (key != "response" || !rewritten.empty()) return;
      std::string response =
          api::with_client_settings(value.in(event.data), store_, previous_response_id_);
      rewritten.append(event.data.substr(0, value.begin));
      rewritten.append(response);
      rewritten.append(event.data.substr(value.end));
      if (final) final_ = std::move(response);
    });
  }
  if (!event.event.empty()) {
    out_ += "event: ";
    out_ += event.event;
    out_ += '\n';
  }
  providers::wire::append_data_event(out_, rewritten.empty() ? event.data : rewritten);
}

void ResponsesDialect::keep(std::string response) {
  if (stateful_ && store_) to_keep_ = std::move(response);
}

std::string ResponsesDialect::store_setting() const {
  return stateful_ && store_ ? "true" : "false";
}

std::string ResponsesDialect::previous_setting() const {
  const auto* previous = previous_response_id(*body_);
  return previous ? json::serialize(*previous) : "null";
}

asio::awaitable<Result<void>> ResponsesDialect::restore(api::Request& client,
                                                        const auth::Caller& caller) {
  owner_ = caller.token;
  const auto* store = client.body.if_contains("store");
  store_ = !store || !store->is_bool() || store->get_bool();
  const auto* previous = previous_response_id(client.body);
  if (!previous) co_return Result<void>{};
  const std::string previous_id(previous->get_string());
  auto found = co_await stored_.find(owner_, previous_id);
  if (!found) {
    if (found.error().kind != ErrorKind::not_found) co_return found.error();
    // Unknown, expired or another key's: the same answer, which says nothing of other keys.
    co_return make_error(ErrorKind::invalid_request,
                         "Previous response with id '" + previous_id + "' not found.",
                         "previous_response_id");
  }
  auto conversation = stored_conversation(*found);
  if (!conversation) co_return conversation.error();
  json::array input = api::input_items(client.body);
  resolve_item_references(input, *conversation);
  restored_items_ = conversation->size();
  for (auto& item : input) conversation->push_back(std::move(item));
  client.body["input"] = std::move(*conversation);
  restored_ = true;
  co_return Result<void>{};
}

asio::awaitable<void> ResponsesDialect::keep_state() {
  std::string response = std::move(*to_keep_);
  to_keep_.reset();
  // A response that could not be stored (too large, the database away) is answered all the same.
  std::string conversation = json::serialize(with_item_ids(api::input_items(*body_)));
  co_await stored_.save(owner_, id_, std::move(conversation), std::move(response));
}

Result<api::Request> ResponsesDialect::translate(api::Request& client) {
  body_ = &client.body;
  if (previous_response_id(client.body) && !restored_) {
    return make_error(ErrorKind::invalid_request,
                      "previous_response_id needs stored responses, which this gateway keeps "
                      "only with a database. Send the conversation in 'input'.",
                      "previous_response_id");
  }
  // Without a database nothing is stored: the response says so.
  if (!stateful_) client.body["store"] = false;
  native_ = api::request_from_body(api::Endpoint::responses,
                                   api::responses_pass_through_body(client.body, restored_items_));
  // What a chat completion cannot carry is left out of it: the call still goes whole to a
  // deployment that speaks the Responses API, and any other refuses it (relay).
  std::optional<Error> left_out;
  auto chat = api::responses_to_chat(client.body, &left_out);
  if (!chat) return chat.error();
  return chat_call(std::move(*chat), client.body, *native_, std::move(left_out));
}

Result<std::string> ResponsesDialect::answer(std::string chat_answer, const api::Usage& usage,
                                             bool native) {
  if (native) {
    // The deployment's response, with the client's settings: the gateway keeps it under the
    // deployment's id.
    std::string response =
        api::with_client_settings(chat_answer, store_setting(), previous_setting());
    id_ = top_level_id(response);
    keep(response);
    return response;
  }
  auto response = api::chat_answer_to_response(chat_answer, usage, *body_, id_);
  if (response) keep(*response);
  return response;
}

std::string_view ResponsesDialect::frames(std::string_view chat_frames, bool last, bool native) {
  if (native) {
    if (!passed_) passed_.emplace(store_setting(), previous_setting());
    const std::string_view frames = passed_->frames(chat_frames);
    if (auto response = passed_->take_final()) {
      id_ = top_level_id(*response);
      keep(std::move(*response));
    }
    return frames;
  }
  if (!chunks_) chunks_.emplace(writer_.emplace(*body_, id_));
  const bool was_finished = writer_->finished();
  const std::string_view frames = chunks_->frames(chat_frames, last);
  if (!was_finished && writer_->finished()) keep(writer_->final_response());
  return frames;
}

std::string ResponsesDialect::stream_error(const Error& error) {
  const std::int64_t next = passed_ ? passed_->count() : writer_ ? writer_->next_sequence() : 0;
  return api::responses_stream_error(error, next);
}

template class ChunkTranslator<api::MessagesStreamWriter>;
template class ChunkTranslator<api::ResponsesStreamWriter>;

}  // namespace llmux::handlers
