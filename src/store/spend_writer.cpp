#include "store/spend_writer.hpp"

#include "base/ids.hpp"
#include "telemetry/log.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <fstream>

namespace llmux::store {

namespace json = boost::json;

namespace {

json::value optional_json(const std::optional<std::string>& text) {
  return text ? json::value(*text) : json::value(nullptr);
}

json::object event_json(const SpendEvent& event) {
  json::array tags;
  for (const auto& tag : event.tags) tags.emplace_back(tag);
  return {{"request_id", event.request_id},
          {"call_type", event.call_type},
          {"api_key", event.api_key},
          {"spend", event.spend},
          {"prompt_tokens", event.prompt_tokens},
          {"completion_tokens", event.completion_tokens},
          {"start_time", event.start_time},
          {"end_time", event.end_time},
          {"completion_start_time",
           event.completion_start_time ? json::value(*event.completion_start_time) : json::value(nullptr)},
          {"model", event.model},
          {"model_group", event.model_group},
          {"model_id", event.model_id},
          {"provider", event.provider},
          {"user_id", event.user_id},
          {"team_id", event.team_id},
          {"end_user", event.end_user},
          {"status", event.status},
          {"cache_hit", event.cache_hit},
          {"tags", std::move(tags)},
          {"metadata", event.metadata},
          {"messages", optional_json(event.messages)},
          {"response", optional_json(event.response)}};
}

std::string text_of(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::int64_t integer_of(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value && value->is_int64() ? value->as_int64() : 0;
}

std::optional<std::string> optional_text_of(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (!value || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

SpendEvent event_from(const json::object& object) {
  SpendEvent event;
  event.request_id = text_of(object, "request_id");
  event.call_type = text_of(object, "call_type");
  event.api_key = text_of(object, "api_key");
  if (const auto* spend = object.if_contains("spend"); spend && spend->is_number()) event.spend = spend->to_number<double>();
  event.prompt_tokens = integer_of(object, "prompt_tokens");
  event.completion_tokens = integer_of(object, "completion_tokens");
  event.start_time = integer_of(object, "start_time");
  event.end_time = integer_of(object, "end_time");
  if (const auto* first = object.if_contains("completion_start_time"); first && first->is_int64()) {
    event.completion_start_time = first->as_int64();
  }
  event.model = text_of(object, "model");
  event.model_group = text_of(object, "model_group");
  event.model_id = text_of(object, "model_id");
  event.provider = text_of(object, "provider");
  event.user_id = text_of(object, "user_id");
  event.team_id = text_of(object, "team_id");
  event.end_user = text_of(object, "end_user");
  event.status = text_of(object, "status");
  if (const auto* hit = object.if_contains("cache_hit"); hit && hit->is_bool()) event.cache_hit = hit->as_bool();
  if (const auto* tags = object.if_contains("tags"); tags && tags->is_array()) {
    for (const auto& tag : tags->as_array()) {
      if (tag.is_string()) event.tags.emplace_back(tag.as_string());
    }
  }
  event.metadata = text_of(object, "metadata");
  event.messages = optional_text_of(object, "messages");
  event.response = optional_text_of(object, "response");
  return event;
}

}  // namespace

std::size_t approximate_bytes(const SpendEvent& event) {
  // Strings past the small-string buffer own a heap block of their capacity.
  const auto heap = [](const std::string& text) { return text.capacity() > 15 ? text.capacity() + 1 : 0; };
  std::size_t bytes = sizeof(SpendEvent) + heap(event.request_id) + heap(event.call_type) + heap(event.api_key) +
                      heap(event.model) + heap(event.model_group) + heap(event.model_id) + heap(event.provider) +
                      heap(event.user_id) + heap(event.team_id) + heap(event.end_user) + heap(event.status) +
                      heap(event.metadata) + event.tags.capacity() * sizeof(std::string);
  for (const auto& tag : event.tags) bytes += heap(tag);
  if (event.messages) bytes += heap(*event.messages);
  if (event.response) bytes += heap(*event.response);
  return bytes;
}

SpendWriter::SpendWriter(Store& store, std::string spool_path, std::size_t max_pending_bytes)
    : store_(store), spool_path_(std::move(spool_path)), max_pending_bytes_(max_pending_bytes) {}

void SpendWriter::add(std::vector<SpendEvent> events) {
  if (events.empty()) return;
  Batch batch{make_uuid(), std::move(events)};
  for (const auto& event : batch.events) batch.bytes += approximate_bytes(event);
  pending_events_ += batch.events.size();
  pending_bytes_ += batch.bytes;
  pending_.push_back(std::move(batch));
  // Past the bound, the oldest batches leave memory for the spool (they are replayed first).
  while (pending_bytes_ > max_pending_bytes_ && pending_.size() > 1) {
    append_to_spool(pending_.front());
    drop_front();
  }
}

void SpendWriter::drop_front() {
  pending_events_ -= pending_.front().events.size();
  pending_bytes_ -= pending_.front().bytes;
  pending_.pop_front();
}

bool SpendWriter::write(const Batch& batch) {
  try {
    store_.database().reconnect();
    store_.write_spend(batch.id, batch.events);
    return true;
  } catch (const DatabaseError& error) {
    if (!error.transient && store_.database().reconnect()) {
      // The database is up and refuses this batch (a bug, or data it cannot hold): retrying
      // would block every later batch, so it is set aside in a file for a person to look at.
      set_aside(batch, error.what());
      return true;
    }
    telemetry::log_now("warning", "spend of " + std::to_string(batch.events.size()) +
                                      " requests not written yet, will retry: " + error.what());
    return false;
  }
}

bool SpendWriter::flush() {
  if (!replay_spool()) return false;
  while (!pending_.empty()) {
    if (!write(pending_.front())) return false;
    drop_front();
  }
  return true;
}

void SpendWriter::spool_all() {
  while (!pending_.empty()) {
    append_to_spool(pending_.front());
    drop_front();
  }
}

bool SpendWriter::has_spool() const {
  std::ifstream in(spool_path_);
  return in.good() && in.peek() != std::ifstream::traits_type::eof();
}

void SpendWriter::set_aside(const Batch& batch, const std::string& why) {
  append_to_file(spool_path_ + ".rejected", batch);
  telemetry::log_now("error", "the database refused a batch of " + std::to_string(batch.events.size()) +
                                 " spend events; it was set aside in " + spool_path_ + ".rejected: " + why);
}

void SpendWriter::append_to_spool(const Batch& batch) { append_to_file(spool_path_, batch); }

void SpendWriter::append_to_file(const std::string& path, const Batch& batch) {
  json::array events;
  for (const auto& event : batch.events) events.push_back(event_json(event));
  std::ofstream out(path, std::ios::app);
  out << json::serialize(json::object{{"batch_id", batch.id}, {"events", std::move(events)}}) << "\n";
  out.flush();
  if (!out) {
    telemetry::log_now("error", "cannot write " + path + ": spend of " + std::to_string(batch.events.size()) +
                                    " requests is lost");
  }
}

// Batches in the spool are written in file order; the file goes once all of them landed (a
// batch written twice is skipped by its id, so a replay cut short is safe to repeat).
bool SpendWriter::replay_spool() {
  if (!has_spool()) return true;
  std::ifstream in(spool_path_);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    const json::value value = json::parse(line, ec);
    if (ec || !value.is_object()) continue;  // a line cut by a crash mid-write
    Batch batch{text_of(value.as_object(), "batch_id"), {}};
    if (const auto* events = value.as_object().if_contains("events"); events && events->is_array()) {
      for (const auto& event : events->as_array()) {
        if (event.is_object()) batch.events.push_back(event_from(event.as_object()));
      }
    }
    if (!write(batch)) return false;
    for (const auto& event : batch.events) {
      if (!event.api_key.empty()) replayed_spend_[event.api_key] += event.spend;
    }
  }
  in.close();
  std::remove(spool_path_.c_str());
  return true;
}

}  // namespace llmux::store
