#include "handlers/spend_tracker.hpp"

#include <boost/json/serialize.hpp>

namespace llmux::handlers {

namespace json = boost::json;

namespace {

// Text from the request goes into text columns, which cannot hold NUL on PostgreSQL: one bad
// request must not make its whole batch unwritable.
std::string column_text(std::string_view text) {
  std::string clean(text);
  std::erase(clean, '\0');
  return clean;
}

}  // namespace

double SpendTracker::record(const FinishedCall& call) {
  if (!sink_ || !call.request || !call.caller) return 0;
  const bool success = call.status >= 200 && call.status < 300;
  const double cost = success && call.deployment && !call.cache_hit
                          ? router::call_cost(*call.deployment, call.usage)
                          : 0;
  const auth::CachedKey* key = call.caller->key;
  if (key && cost > 0) {
    key->spend->add(cost);
    if (key->team && !call.key_only) key->team->spend->add(cost);
    if (key->user && !call.key_only) key->user->spend->add(cost);
  }
  if (call.caller->snapshot && cost > 0 && !call.key_only) {
    if (const auto* end_user = call.caller->snapshot->find_end_user(call.end_user))
      end_user->spend->add(cost);
  }

  const auto now = std::chrono::steady_clock::now();
  const store::Millis end_time = store::now_millis();
  const auto to_millis = [](auto duration) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
  };
  store::SpendEvent event;
  event.request_id = column_text(call.request_id);
  event.response_id = column_text(call.answer_id);
  event.call_type = api::call_type(call.endpoint);
  event.api_key = call.caller->token;
  event.spend = cost;
  event.prompt_tokens = call.usage.prompt_tokens;
  event.completion_tokens = call.usage.completion_tokens;
  event.start_time = end_time - to_millis(now - call.received_at);
  event.end_time = end_time;
  if (call.stream && call.time_to_first_chunk.count() > 0) {
    event.completion_start_time = event.start_time + to_millis(call.time_to_first_chunk);
  }
  event.model_group = column_text(call.served_group.empty() ? std::string_view(call.request->model)
                                                            : call.served_group);
  if (call.deployment) {
    event.model = call.deployment->target.upstream_model;
    event.model_id = call.deployment->id;
    event.provider = call.deployment->target.provider;
  }
  if (key && !call.key_only) {
    event.user_id = key->user_id;
    event.team_id = key->team_id;
    event.tags = key->tags;
  }
  event.end_user = column_text(call.end_user);
  event.status = success ? "success" : "failure";
  event.cache_hit = call.cache_hit;
  // The request's metadata and tags; its messages only when the operator asked for them.
  if (const auto* metadata = call.request->body.if_contains("metadata");
      metadata && metadata->is_object()) {
    event.metadata = json::serialize(*metadata);
    if (const auto* tags = metadata->as_object().if_contains("tags"); tags && tags->is_array()) {
      for (const auto& tag : tags->as_array()) {
        if (tag.is_string()) event.tags.push_back(column_text(tag.as_string()));
      }
    }
  }
  if (const auto* tags = call.request->body.if_contains("tags"); tags && tags->is_array()) {
    for (const auto& tag : tags->as_array()) {
      if (tag.is_string()) event.tags.push_back(column_text(tag.as_string()));
    }
  }
  if (store_prompts_) {
    event.messages = column_text(call.request->text);
    event.response = column_text(call.response_body);
  }
  sink_->add(std::move(event));
  return cost;
}

}  // namespace llmux::handlers
