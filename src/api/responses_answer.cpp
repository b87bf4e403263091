#include "api/responses.hpp"

#include "api/chat_reading.hpp"
#include "api/json_scan.hpp"
#include "base/ids.hpp"
#include "base/json_string.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <chrono>
#include <utility>

namespace llmux::api {

namespace json = boost::json;

namespace {

// The request's value of `key`, else `fallback`: the echo of a setting as applied.
json::value echo(const json::object& body, std::string_view key, json::value fallback) {
  const auto* value = body.if_contains(key);
  return value && !value->is_null() ? *value : fallback;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The response object around its output: the request's settings echoed as OpenAI does.
json::object response_object(const json::object& body, std::string_view id, std::int64_t created_at,
                             std::string_view model, std::string_view status) {
  return {{"id", id},
          {"object", "response"},
          {"created_at", created_at},
          {"status", status},
          {"error", nullptr},
          {"incomplete_details", nullptr},
          {"instructions", echo(body, "instructions", nullptr)},
          {"max_output_tokens", echo(body, "max_output_tokens", nullptr)},
          {"model", model},
          {"output", json::array()},
          {"parallel_tool_calls", echo(body, "parallel_tool_calls", true)},
          {"previous_response_id", echo(body, "previous_response_id", nullptr)},
          {"reasoning",
           echo(body, "reasoning", json::object{{"effort", nullptr}, {"summary", nullptr}})},
          {"store", echo(body, "store", true)},
          {"temperature", echo(body, "temperature", 1.0)},
          {"text", echo(body, "text", json::object{{"format", json::object{{"type", "text"}}}})},
          {"tool_choice", echo(body, "tool_choice", "auto")},
          {"tools", echo(body, "tools", json::array())},
          {"top_p", echo(body, "top_p", 1.0)},
          {"truncation", echo(body, "truncation", "disabled")},
          {"usage", nullptr},
          {"user", echo(body, "user", nullptr)},
          {"metadata", echo(body, "metadata", json::object())}};
}

json::object usage_object(const Usage& usage) {
  return {{"input_tokens", usage.prompt_tokens},
          {"input_tokens_details", json::object{{"cached_tokens", usage.cached_tokens}}},
          {"output_tokens", usage.completion_tokens},
          {"output_tokens_details", json::object{{"reasoning_tokens", 0}}},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
}

// A length or content-filter finish leaves the response incomplete, with its reason.
void set_status(json::object& response, std::string_view finish_reason) {
  std::string_view reason;
  if (finish_reason == "length") reason = "max_output_tokens";
  if (finish_reason == "content_filter") reason = "content_filter";
  response["status"] = reason.empty() ? "completed" : "incomplete";
  if (!reason.empty()) response["incomplete_details"] = json::object{{"reason", reason}};
}

json::object reasoning_item(std::string_view id, std::string_view text, bool done) {
  json::array summary;
  if (done) summary.push_back(json::object{{"type", "summary_text"}, {"text", text}});
  return {{"id", id},
          {"type", "reasoning"},
          {"summary", std::move(summary)},
          {"status", done ? "completed" : "in_progress"}};
}

json::object output_text(std::string_view text) {
  return {{"type", "output_text"}, {"text", text}, {"annotations", json::array()}};
}

json::object message_item(std::string_view id, json::array content, bool done) {
  return {{"id", id},
          {"type", "message"},
          {"status", done ? "completed" : "in_progress"},
          {"role", "assistant"},
          {"content", std::move(content)}};
}

json::object function_call_item(std::string_view id, std::string_view call_id,
                                std::string_view name, std::string_view arguments, bool done) {
  return {{"id", id},
          {"type", "function_call"},
          {"status", done ? "completed" : "in_progress"},
          {"call_id", call_id},
          {"name", name},
          {"arguments", arguments}};
}

}  // namespace

Result<std::string> chat_answer_to_response(std::string_view chat_answer, const Usage& usage,
                                            const json::object& body, std::string_view id) {
  const ChatAnswerReading reading(chat_answer);
  const auto first = reading.choice();
  if (!first) return first.error();
  const json::object& choice = **first;
  const json::object& message = reading.message();

  json::array output;
  if (const auto reasoning = string_of(message, "reasoning_content"); !reasoning.empty())
    output.push_back(reasoning_item(make_object_id("rs_"), reasoning, true));
  json::array content;
  if (const auto text = string_of(message, "content"); !text.empty())
    content.push_back(output_text(text));
  if (const auto refusal = string_of(message, "refusal"); !refusal.empty())
    content.push_back(json::object{{"type", "refusal"}, {"refusal", refusal}});
  if (!content.empty())
    output.push_back(message_item(make_object_id("msg_"), std::move(content), true));
  if (const auto* calls = message.if_contains("tool_calls"); calls && calls->is_array()) {
    for (const auto& call_value : calls->get_array()) {
      const auto* call = call_value.if_object();
      const auto* function = call ? object_of(*call, "function") : nullptr;
      if (!function) continue;
      std::string call_id(string_of(*call, "id"));
      if (call_id.empty()) call_id = make_object_id("call_");
      output.push_back(function_call_item(make_object_id("fc_"), call_id,
                                          string_of(*function, "name"),
                                          string_of(*function, "arguments"), true));
    }
  }
  const std::string_view model = model_of(reading.answer(), body);
  const auto* created = reading.answer().if_contains("created");
  json::object response = response_object(
      body, id, created && created->is_int64() ? created->get_int64() : now_seconds(), model,
      "completed");
  set_status(response, string_of(choice, "finish_reason"));
  response["output"] = std::move(output);
  response["usage"] = usage_object(usage);
  return json::serialize(response);
}

ResponsesStreamWriter::ResponsesStreamWriter(const json::object& body, std::string id)
    : body_(body), id_(std::move(id)), created_at_(now_seconds()) {}

void ResponsesStreamWriter::event(std::string& out, std::string_view type, json::object fields) {
  json::object data{{"type", type}, {"sequence_number", sequence_++}};
  for (auto& [key, value] : fields) data[key] = std::move(value);
  out += "event: ";
  out += type;
  out += "\ndata: ";
  out += json::serialize(data);
  out += "\n\n";
}

void ResponsesStreamWriter::response_event(std::string& out, std::string_view type,
                                           std::string_view response_json) {
  out += "event: ";
  out += type;
  out += "\ndata: {\"type\":\"";
  out += type;
  out += "\",\"sequence_number\":";
  append_number(out, sequence_++);
  out += ",\"response\":";
  out += response_json;
  out += "}\n\n";
}

void ResponsesStreamWriter::delta(std::string& out, std::string_view type, std::string_view index,
                                  std::string_view text) {
  const Item& item = items_.back();
  out += "event: ";
  out += type;
  out += "\ndata: {\"type\":\"";
  out += type;
  out += "\",\"sequence_number\":";
  append_number(out, sequence_++);
  out += ",\"item_id\":";
  append_json_string(out, item.id);
  out += ",\"output_index\":";
  append_number(out, static_cast<std::int64_t>(items_.size() - 1));
  if (!index.empty()) {
    out += ",\"";
    out += index;
    out += "\":0";
  }
  out += ",\"delta\":";
  append_json_string(out, text);
  if (item.kind == Item::Kind::message) out += ",\"logprobs\":[]";
  out += "}\n\n";
}

void ResponsesStreamWriter::start(const json::object& chunk, std::string& out) {
  started_ = true;
  model_ = model_of(chunk, body_);
  const json::object response = response_object(body_, id_, created_at_, model_, "in_progress");
  const std::string text = json::serialize(response);
  response_event(out, "response.created", text);
  response_event(out, "response.in_progress", text);
}

json::object ResponsesStreamWriter::item_fields(const Item& item, bool done) const {
  switch (item.kind) {
    case Item::Kind::reasoning: return reasoning_item(item.id, item.text, done);
    case Item::Kind::message: {
      json::array content;
      if (done) content.push_back(output_text(item.text));
      return message_item(item.id, std::move(content), done);
    }
    case Item::Kind::function_call:
      return function_call_item(item.id, item.call_id, item.name, done ? item.text : "", done);
  }
  return {};
}

ResponsesStreamWriter::Item& ResponsesStreamWriter::open(Item::Kind kind, std::string& out,
                                                         std::string call_id, std::string name) {
  close(out);
  static constexpr std::string_view kPrefixes[] = {"rs_", "msg_", "fc_"};
  items_.push_back(Item{.kind = kind,
                        .id = make_object_id(kPrefixes[static_cast<int>(kind)]),
                        .call_id = std::move(call_id),
                        .name = std::move(name)});
  open_ = true;
  const Item& item = items_.back();
  const auto index = static_cast<std::int64_t>(items_.size() - 1);
  event(out, "response.output_item.added",
        {{"output_index", index}, {"item", item_fields(item, false)}});
  if (kind == Item::Kind::message) {
    event(out, "response.content_part.added",
          {{"item_id", item.id},
           {"output_index", index},
           {"content_index", 0},
           {"part", output_text("")}});
  } else if (kind == Item::Kind::reasoning) {
    event(out, "response.reasoning_summary_part.added",
          {{"item_id", item.id},
           {"output_index", index},
           {"summary_index", 0},
           {"part", json::object{{"type", "summary_text"}, {"text", ""}}}});
  }
  return items_.back();
}

void ResponsesStreamWriter::close(std::string& out) {
  if (!open_) return;
  open_ = false;
  tool_ = -1;
  Item& item = items_.back();
  const auto index = static_cast<std::int64_t>(items_.size() - 1);
  switch (item.kind) {
    case Item::Kind::reasoning:
      event(out, "response.reasoning_summary_text.done",
            {{"item_id", item.id},
             {"output_index", index},
             {"summary_index", 0},
             {"text", item.text}});
      event(out, "response.reasoning_summary_part.done",
            {{"item_id", item.id},
             {"output_index", index},
             {"summary_index", 0},
             {"part", json::object{{"type", "summary_text"}, {"text", item.text}}}});
      break;
    case Item::Kind::message:
      event(out, "response.output_text.done",
            {{"item_id", item.id},
             {"output_index", index},
             {"content_index", 0},
             {"text", item.text},
             {"logprobs", json::array()}});
      event(out, "response.content_part.done",
            {{"item_id", item.id},
             {"output_index", index},
             {"content_index", 0},
             {"part", output_text(item.text)}});
      break;
    case Item::Kind::function_call:
      event(out, "response.function_call_arguments.done",
            {{"item_id", item.id},
             {"output_index", index},
             {"arguments", item.text},
             {"name", item.name}});
      break;
  }
  item.done = item_fields(item, true);
  event(out, "response.output_item.done", {{"output_index", index}, {"item", item.done}});
}

void ResponsesStreamWriter::chunk(const json::object& chunk, std::string& out) {
  if (finished_) return;
  if (!started_) start(chunk, out);
  const auto* choice = first_choice(chunk);
  if (!choice) return;  // usage only
  const auto current = [this](Item::Kind kind) { return open_ && items_.back().kind == kind; };
  if (const auto* delta_object = object_of(*choice, "delta")) {
    if (const auto text = string_of(*delta_object, "reasoning_content"); !text.empty()) {
      Item& item =
          current(Item::Kind::reasoning) ? items_.back() : open(Item::Kind::reasoning, out);
      item.text += text;
      delta(out, "response.reasoning_summary_text.delta", "summary_index", text);
    }
    if (const auto text = string_of(*delta_object, "content"); !text.empty()) {
      Item& item = current(Item::Kind::message) ? items_.back() : open(Item::Kind::message, out);
      item.text += text;
      delta(out, "response.output_text.delta", "content_index", text);
    }
    const auto* calls = delta_object->if_contains("tool_calls");
    for (const auto& call_value : calls && calls->is_array() ? calls->get_array() : json::array()) {
      const auto* call = call_value.if_object();
      if (!call) continue;
      const auto* index_value = call->if_contains("index");
      const std::int64_t tool =
          index_value && index_value->is_int64() ? index_value->get_int64() : 0;
      const auto* function = object_of(*call, "function");
      if (!current(Item::Kind::function_call) || tool != tool_) {
        std::string call_id(string_of(*call, "id"));
        if (call_id.empty()) call_id = make_object_id("call_");
        open(Item::Kind::function_call, out, std::move(call_id),
             std::string(function ? string_of(*function, "name") : std::string_view()));
        tool_ = tool;
      }
      if (const auto arguments = function ? string_of(*function, "arguments") : std::string_view();
          !arguments.empty()) {
        items_.back().text += arguments;
        delta(out, "response.function_call_arguments.delta", {}, arguments);
      }
    }
  }
  if (const auto reason = string_of(*choice, "finish_reason"); !reason.empty()) {
    finish_reason_ = reason;
    close(out);
  }
}

void ResponsesStreamWriter::finish(const Usage& usage, std::string& out) {
  if (finished_) return;
  if (!started_) start(json::object(), out);
  close(out);
  finished_ = true;
  json::object response = response_object(body_, id_, created_at_, model_, "completed");
  set_status(response, finish_reason_);
  json::array output;
  for (const Item& item : items_) output.push_back(item.done);
  response["output"] = std::move(output);
  response["usage"] = usage_object(usage);
  const bool complete = response["status"] == "completed";
  final_response_ = json::serialize(response);
  response_event(out, complete ? "response.completed" : "response.incomplete", final_response_);
}

std::string responses_stream_error(const Error& error, std::int64_t sequence_number) {
  const int status = http_status(error);
  std::string_view code = error.code;
  if (code.empty())
    code = status == 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "";
  const json::object data{
      {"type", "error"},
      {"code", code.empty() ? json::value(nullptr) : json::value(code)},
      {"message", error.message},
      {"param", error.param.empty() ? json::value(nullptr) : json::value(error.param)},
      {"sequence_number", sequence_number}};
  return "event: error\ndata: " + json::serialize(data) + "\n\n";
}

std::string with_client_settings(std::string_view response, std::string_view store,
                                 std::string_view previous_response_id) {
  struct Splice {
    Span at;
    std::string_view value;
  };
  std::array<Splice, 2> splices;
  std::size_t count = 0;
  for_each_member_of_valid(response, [&](std::string_view key, Span value) {
    if (count == splices.size()) return;
    if (key == "store") splices[count++] = {value, store};
    if (key == "previous_response_id") splices[count++] = {value, previous_response_id};
  });
  if (count == 2 && splices[1].at.begin < splices[0].at.begin) std::swap(splices[0], splices[1]);
  std::string out;
  out.reserve(response.size() + store.size() + previous_response_id.size());
  std::size_t from = 0;
  for (std::size_t i = 0; i < count; ++i) {
    out.append(response.substr(from, splices[i].at.begin - from));
    out.append(splices[i].value);
    from = splices[i].at.end;
  }
  out.append(response.substr(from));
  return out;
}

}  // namespace llmux::api
