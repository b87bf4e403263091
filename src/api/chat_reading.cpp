#include "api/chat_reading.hpp"

#include <boost/json/parse.hpp>

namespace llmux::api {

namespace json = boost::json;

std::string_view string_of(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

const json::object* object_of(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value ? value->if_object() : nullptr;
}

const json::object* first_choice(const json::object& completion) {
  const auto* choices = completion.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return nullptr;
  return choices->get_array().front().if_object();
}

std::string_view model_of(const json::object& completion, const json::object& request_body) {
  const std::string_view model = string_of(completion, "model");
  return model.empty() ? string_of(request_body, "model") : model;
}

Result<void> leave_out(Error refusal, std::optional<Error>* left_out) {
  if (!left_out) return refusal;
  if (!*left_out) *left_out = std::move(refusal);
  return {};
}

namespace {

json::value parsed_or_null(std::string_view text, json::monotonic_resource& arena) {
  json::error_code ec;
  json::value parsed = json::parse(text, ec, &arena);
  return ec ? json::value() : std::move(parsed);
}

}  // namespace

ChatAnswerReading::ChatAnswerReading(std::string_view chat_answer)
    : arena_(buffer_, sizeof buffer_), parsed_(parsed_or_null(chat_answer, arena_)) {}

Result<const json::object*> ChatAnswerReading::choice() const {
  const auto* answer = parsed_.if_object();
  if (const auto* choice = answer ? first_choice(*answer) : nullptr) return choice;
  return make_error(ErrorKind::upstream_failed,
                    "The upstream answered without a choice to translate.");
}

const json::object& ChatAnswerReading::answer() const { return parsed_.get_object(); }

const json::object& ChatAnswerReading::message() const {
  static const json::object kEmpty;
  const auto choice = this->choice();
  const auto* message = choice ? object_of(**choice, "message") : nullptr;
  return message ? *message : kEmpty;
}

}  // namespace llmux::api
