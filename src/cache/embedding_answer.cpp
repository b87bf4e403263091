#include "cache/embedding_answer.hpp"

#include "api/json_scan.hpp"
#include "cache/key.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <charconv>

namespace llmux::cache {

namespace {

Error unsplittable(std::string why) {
  return make_error(ErrorKind::internal, "embeddings answer not cached: " + std::move(why));
}

std::int64_t integer_at(std::string_view text, api::Span span) {
  std::int64_t number = -1;
  const std::string_view digits = span.in(text);
  std::from_chars(digits.data(), digits.data() + digits.size(), number);
  return number;
}

}  // namespace

Result<std::vector<Entry>> split_embeddings(std::string_view answer, std::size_t inputs,
                                            std::int64_t prompt_tokens, std::int64_t stored_at_ms) {
  api::Span data, model;
  const bool object = api::for_each_member(answer, api::Span{0, answer.size()},
                                           [&](std::string_view key, api::Span value) {
                                             if (key == "data") data = value;
                                             if (key == "model") model = value;
                                           });
  if (!object || data.empty() || inputs == 0) return unsplittable("no data");
  std::vector<std::string_view> vectors(inputs);
  std::size_t found = 0;
  bool well_formed = true;
  const bool array = api::for_each_element(answer, data, [&](api::Span element) {
    api::Span vector;
    std::int64_t index = -1;
    well_formed &=
        api::for_each_member(answer, element, [&](std::string_view key, api::Span value) {
          if (key == "embedding") vector = value;
          if (key == "index") index = integer_at(answer, value);
        });
    if (vector.empty() || index < 0 || static_cast<std::size_t>(index) >= inputs ||
        !vectors[static_cast<std::size_t>(index)].empty()) {
      well_formed = false;
      return;
    }
    vectors[static_cast<std::size_t>(index)] = vector.in(answer);
    ++found;
  });
  if (!array || !well_formed || found != inputs) return unsplittable("not one vector per input");
  const std::string_view model_text = model.empty() ? "null" : model.in(answer);
  std::vector<Entry> items;
  items.reserve(inputs);
  const auto count = static_cast<std::int64_t>(inputs);
  for (std::size_t i = 0; i < inputs; ++i) {
    Entry item;
    item.answer = "{\"embedding\":";
    item.answer += vectors[i];
    item.answer += ",\"model\":";
    item.answer += model_text;
    item.answer += '}';
    item.stored_at_ms = stored_at_ms;
    // The prompt tokens shared out so that the shares add up to the whole.
    item.prompt_tokens =
        prompt_tokens / count + (static_cast<std::int64_t>(i) < prompt_tokens % count ? 1 : 0);
    items.push_back(std::move(item));
  }
  return items;
}

Entry join_embeddings(const std::vector<std::shared_ptr<const Entry>>& items,
                      std::optional<std::int64_t> prompt_tokens) {
  Entry joined;
  joined.answer = "{\"object\":\"list\",\"data\":[";
  std::string_view model = "null";
  joined.stored_at_ms = items.empty() ? 0 : items.front()->stored_at_ms;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string_view item = items[i]->answer;
    api::Span vector;
    api::for_each_member(item, api::Span{0, item.size()},
                         [&](std::string_view key, api::Span value) {
                           if (key == "embedding") vector = value;
                           if (key == "model" && i == 0) model = value.in(item);
                         });
    joined.prompt_tokens += items[i]->prompt_tokens;
    joined.stored_at_ms = std::min(joined.stored_at_ms, items[i]->stored_at_ms);
    if (i > 0) joined.answer += ',';
    joined.answer += "{\"object\":\"embedding\",\"index\":";
    joined.answer += std::to_string(i);
    joined.answer += ",\"embedding\":";
    joined.answer += vector.empty() ? std::string_view("[]") : vector.in(item);
    joined.answer += '}';
  }
  if (prompt_tokens) joined.prompt_tokens = *prompt_tokens;
  joined.answer += "],\"model\":";
  joined.answer += model;
  joined.answer += ",\"usage\":{\"prompt_tokens\":";
  joined.answer += std::to_string(joined.prompt_tokens);
  joined.answer += ",\"total_tokens\":";
  joined.answer += std::to_string(joined.prompt_tokens);
  joined.answer += "}}";
  return joined;
}

boost::json::object with_missing_inputs(const boost::json::object& body,
                                        const std::vector<std::shared_ptr<const Entry>>& cached) {
  boost::json::object missing_only(body, boost::json::storage_ptr());
  boost::json::array inputs;
  const auto all = embedding_inputs(body);
  for (std::size_t i = 0; i < all.size() && i < cached.size(); ++i) {
    if (!cached[i]) inputs.push_back(*all[i]);
  }
  missing_only["input"] = std::move(inputs);
  return missing_only;
}

Result<std::string> stitch_embeddings(const std::vector<std::shared_ptr<const Entry>>& cached,
                                      std::string_view upstream_answer,
                                      std::int64_t prompt_tokens) {
  const auto missing = static_cast<std::size_t>(
      std::count(cached.begin(), cached.end(), std::shared_ptr<const Entry>()));
  auto pieces = split_embeddings(upstream_answer, missing, prompt_tokens, 0);
  if (!pieces) return pieces.error();
  std::vector<std::shared_ptr<const Entry>> items = cached;
  std::size_t next = 0;
  for (auto& item : items) {
    if (!item) item = std::make_shared<const Entry>(std::move((*pieces)[next++]));
  }
  return join_embeddings(items, prompt_tokens).answer;
}

}  // namespace llmux::cache
