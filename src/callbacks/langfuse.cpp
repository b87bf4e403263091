#include "callbacks/langfuse.hpp"

#include "base/ids.hpp"

#include "base/json_string.hpp"
#include "callbacks/json_writer.hpp"

#include <openssl/evp.h>

#include <chrono>
#include <cstdint>

namespace llmux::callbacks {

namespace {

namespace chrono = std::chrono;
using Clock = chrono::system_clock;

// `value` as `width` decimal digits, zero-padded; returns the end.
char* put_digits(char* out, std::uint64_t value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) out[i] = static_cast<char>('0' + value % 10);
  return out + width;
}

// HH, MM and SS with `separator` between them. Times are split by std::chrono's calendar
// arithmetic: gmtime_r and snprintf cost about 4,000 instructions a time, four times a call.
template <class Duration>
char* put_time_of_day(char* out, const chrono::hh_mm_ss<Duration>& time, char separator) {
  out = put_digits(out, static_cast<std::uint64_t>(time.hours().count()), 2);
  *out++ = separator;
  out = put_digits(out, static_cast<std::uint64_t>(time.minutes().count()), 2);
  *out++ = separator;
  return put_digits(out, static_cast<std::uint64_t>(time.seconds().count()), 2);
}

// ISO 8601 with milliseconds, UTC: "2025-06-01T12:00:00.112Z" (rounded to the millisecond).
void append_iso_time(std::string& out, Clock::time_point time) {
  const auto micros = chrono::duration_cast<chrono::microseconds>(time.time_since_epoch());
  const chrono::milliseconds millis((micros.count() + 500) / 1000);
  const chrono::sys_days day(chrono::floor<chrono::days>(millis));
  const chrono::year_month_day date(day);
  const chrono::hh_mm_ss time_of_day(millis - day.time_since_epoch());
  char text[32];
  char* end = text;
  *end++ = '"';
  end = put_digits(end, static_cast<std::uint64_t>(static_cast<int>(date.year())), 4);
  *end++ = '-';
  end = put_digits(end, static_cast<unsigned>(date.month()), 2);
  *end++ = '-';
  end = put_digits(end, static_cast<unsigned>(date.day()), 2);
  *end++ = 'T';
  end = put_time_of_day(end, time_of_day, ':');
  *end++ = '.';
  end = put_digits(end, static_cast<std::uint64_t>(time_of_day.subseconds().count()), 3);
  *end++ = 'Z';
  *end++ = '"';
  out.append(text, end);
}

// LiteLLM's generation id: "time-HH-MM-SS-ffffff_<call id>".
std::string generation_id(Clock::time_point start, std::string_view id) {
  const auto micros = chrono::duration_cast<chrono::microseconds>(start.time_since_epoch());
  const chrono::hh_mm_ss time_of_day(micros - chrono::floor<chrono::days>(micros));
  char text[24] = "time-";
  char* end = put_time_of_day(text + 5, time_of_day, '-');
  *end++ = '-';
  end = put_digits(end, static_cast<std::uint64_t>(time_of_day.subseconds().count()), 6);
  *end++ = '_';
  std::string generation;
  generation.reserve(static_cast<std::size_t>(end - text) + id.size());
  generation.append(text, end);
  generation += id;
  return generation;
}

// What the generation was asked and answered, as LiteLLM writes them from the payload: a chat's
// messages under "messages" and its first choice's message (or text); other calls' raw input
// and answer; the error text on failure.
void append_input(std::string& out, const CallFacts& call, const RequestText& request) {
  if (!call.log_messages) {
    out += "\"redacted-by-litellm\"";
  } else if (request.input.empty()) {
    out += "null";
  } else if (call.call_type == "acompletion" && request.input.starts_with('[')) {
    ObjectWriter(out).raw("messages", request.input);
  } else {
    out += request.input;
  }
}

void append_output(std::string& out, const CallFacts& call) {
  if (!call.succeeded()) {
    append_json_string(out, call.failure ? std::string_view(call.failure->message) : "");
  } else if (call.response.empty()) {
    out += "null";
  } else if (!call.log_messages) {
    out += "\"redacted-by-litellm\"";
  } else if (!call.response.starts_with('{')) {
    out += call.response;
  } else {
    const std::string_view first = raw_first_element(raw_member(call.response, "choices"));
    std::string_view answer = first.starts_with('{') ? raw_member(first, "message") : "";
    if (answer.empty() && first.starts_with('{')) answer = raw_member(first, "text");
    out += answer.empty() ? std::string_view("null") : answer;
  }
}

// A metadata string given as its JSON literal, else `fallback` written as a string.
void string_or(ObjectWriter& object, std::string_view name, std::string_view literal,
               std::string_view fallback) {
  if (literal.empty())
    object.string(name, fallback);
  else
    object.raw(name, literal);
}

void optional_string(ObjectWriter& object, std::string_view name, std::string_view literal) {
  if (!literal.empty()) object.raw(name, literal);
}

// One ingestion event's envelope; the body is written by `write_body(ObjectWriter&)`.
template <class WriteBody>
void append_event(std::string& batch, std::string_view type, const std::string& now,
                  WriteBody&& write_body) {
  ObjectWriter event(batch);
  event.string("id", make_uuid());
  event.raw("timestamp", now);
  event.string("type", type);
  ObjectWriter body(event.key("body"));
  write_body(body);
}

void add_call(std::string& batch, const CallFacts& call, const std::string& now) {
  const RequestText request(call.request);
  const std::string_view metadata = request.metadata;
  const std::string default_name = "litellm-" + call.call_type;
  std::string_view trace_id = raw_string_member(metadata, "existing_trace_id");
  const bool existing_trace = !trace_id.empty();
  if (trace_id.empty()) trace_id = raw_string_member(metadata, "trace_id");
  const bool success = call.succeeded();
  std::string input;
  append_input(input, call, request);
  std::string output;
  append_output(output, call);

  append_event(batch, "trace-create", now, [&](ObjectWriter& trace) {
    string_or(trace, "id", trace_id, call.call_id);
    append_iso_time(trace.key("timestamp"), call.start);
    if (!existing_trace)
      string_or(trace, "name", raw_string_member(metadata, "trace_name"), default_name);
    const std::string_view user = raw_string_member(metadata, "trace_user_id");
    if (!user.empty() || !call.end_user.empty()) string_or(trace, "userId", user, call.end_user);
    optional_string(trace, "sessionId", raw_string_member(metadata, "session_id"));
    optional_string(trace, "version", raw_string_member(metadata, "trace_version"));
    if (const auto trace_metadata = raw_member(metadata, "trace_metadata"); !trace_metadata.empty())
      trace.raw("metadata", trace_metadata);
    trace.raw("input", input);
    trace.raw("output", output);
    append_request_tags(trace.key("tags"), request);
  });
  batch += ',';

  append_event(batch, "generation-create", now, [&](ObjectWriter& generation) {
    const std::string_view id = raw_string_member(metadata, "generation_id");
    if (id.empty())
      generation.string("id", generation_id(call.start, call.call_id));
    else
      generation.raw("id", id);
    string_or(generation, "traceId", trace_id, call.call_id);
    const std::string_view name = raw_string_member(metadata, "generation_name");
    if (!name.empty())
      generation.raw("name", name);
    else if (!call.key_alias.empty())
      generation.string("name", "litellm:" + call.key_alias);
    else
      generation.string("name", default_name);
    append_iso_time(generation.key("startTime"), call.start);
    append_iso_time(generation.key("endTime"), call.end);
    append_iso_time(generation.key("completionStartTime"), first_token_time(call));
    generation.string("model", payload_model(call));
    {
      // Scalars and string lists as they are; anything else as its JSON text.
      ObjectWriter parameters(generation.key("modelParameters"));
      for (const auto& [key, value] : request.model_parameters()) {
        if (value.starts_with('{') || value.starts_with('['))
          parameters.string(key, value);
        else
          parameters.raw(key, value);
      }
    }
    generation.raw("input", input);
    generation.raw("output", output);
    const CostText cost(call);
    const std::int64_t total = call.prompt_tokens + call.completion_tokens;
    {
      ObjectWriter usage(generation.key("usage"));
      usage.integer("input", call.prompt_tokens);
      usage.integer("output", call.completion_tokens);
      usage.integer("total", total);
      usage.string("unit", "TOKENS");
      usage.raw("totalCost", cost.text());
    }
    {
      ObjectWriter details(generation.key("usageDetails"));
      details.integer("input", call.prompt_tokens);
      details.integer("output", call.completion_tokens);
      details.integer("total", total);
    }
    {
      ObjectWriter meta(generation.key("metadata"));
      append_hidden_params(meta.key("hidden_params"), call, cost);
      meta.raw("litellm_response_cost", cost.text());
      meta.string("api_base", call.api_base);
      meta.raw("cache_hit", "false");
      meta.raw("requester_metadata", metadata.empty() ? std::string_view("{}") : metadata);
    }
    generation.string("level", success ? "DEFAULT" : "ERROR");
    if (!success)
      generation.string("statusMessage",
                        call.failure ? std::string_view(call.failure->message) : "");
    optional_string(generation, "parentObservationId",
                    raw_string_member(metadata, "parent_observation_id"));
    optional_string(generation, "version", raw_string_member(metadata, "version"));
  });
}

}  // namespace

std::string langfuse_batch(const std::vector<const CallFacts*>& calls) {
  std::string now;
  append_iso_time(now, Clock::now());
  std::string batch;
  std::size_t size = 64;
  for (const CallFacts* call : calls)  // each event's input and output are written twice
    size += 2 * payload_size_hint(*call);
  batch.reserve(size);
  batch += "{\"batch\":[";
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (i > 0) batch += ',';
    add_call(batch, *calls[i], now);
  }
  batch += "]}";
  return batch;
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  const std::string plain = std::string(user) + ':' + std::string(password);
  std::string encoded(4 * ((plain.size() + 2) / 3), '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(plain.data()),
                                     static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(length));
  return "Basic " + encoded;
}

}  // namespace llmux::callbacks
