// The JSON layout scanner (api/json_scan), which the gateway uses to splice an upstream's answer
// instead of parsing it. Checks: what Boost.JSON parses as an object the scanner accepts; spans
// lie in the text; the walk over valid text (for_each_member_of_valid) sees exactly what the
// validating walk sees; and ChunkScanner's shortcuts give exactly a whole scan's answer, for the
// input's lines taken as the chunks of one stream (an SSE fixture's "data: " lines are chunks).
#include "api/json_scan.hpp"
#include "support.hpp"

#include <boost/json/parse.hpp>

#include <string>
#include <utility>
#include <vector>

namespace {

namespace api = llmux::api;
using llmux::fuzz::check;

bool same_span(api::Span a, api::Span b) { return a.begin == b.begin && a.end == b.end; }

bool same_layout(const api::AnswerLayout& a, const api::AnswerLayout& b) {
  return same_span(a.model, b.model) && same_span(a.usage, b.usage) &&
         same_span(a.choices, b.choices) && same_span(a.error, b.error) &&
         a.finish_reason == b.finish_reason;
}

bool inside(api::Span span, std::string_view text) {
  return span.begin <= span.end && span.end <= text.size();
}

void check_scan(std::string_view text) {
  api::AnswerLayout layout;
  const bool scanned = api::scan_answer(text, layout);

  boost::json::parse_options options;
  options.max_depth = 255;  // within the scanner's own limit
  boost::json::error_code ec;
  const boost::json::value parsed = boost::json::parse(text, ec, {}, options);
  if (!ec && parsed.is_object()) check(scanned, "a JSON object the scanner refuses");

  using Members = std::vector<std::pair<std::string, std::pair<std::size_t, std::size_t>>>;
  Members valid_walk;
  api::for_each_member_of_valid(text, [&](std::string_view key, api::Span value) {
    check(inside(value, text) && llmux::fuzz::lies_within(key, text), "a member outside the text");
    valid_walk.push_back({std::string(key), {value.begin, value.end}});
  });
  if (!scanned) return;

  for (const api::Span span : {layout.model, layout.usage, layout.choices, layout.error})
    check(inside(span, text), "a layout span outside the text");
  Members walk;
  const bool walked =
      api::for_each_member(text, {0, text.size()}, [&](std::string_view key, api::Span value) {
        walk.push_back({std::string(key), {value.begin, value.end}});
      });
  check(walked, "for_each_member refuses what scan_answer accepted");
  check(walk == valid_walk, "the walk over valid text differs from the validating walk");
  if (!layout.choices.empty()) {
    const bool is_array = layout.choices.in(text).starts_with('[');
    const bool listed = api::for_each_element(text, layout.choices, [&](api::Span element) {
      check(inside(element, text), "an element outside the text");
    });
    check(listed == is_array, "choices walked as an array when it is not one, or not when it is");
    if (listed) (void)api::is_empty_array(text, layout.choices);
  }
  if (!layout.model.empty()) {
    std::string spliced;
    api::append_spliced(spliced, text, layout.model, "\"m\"");
    api::AnswerLayout after;
    check(api::scan_answer(spliced, after), "a spliced model breaks the answer");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  check_scan(input);

  api::ChunkScanner chunks;
  std::string_view rest = input;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (line.starts_with("data: ")) line.remove_prefix(6);
    // A copy of its own, as each chunk arrives in a buffer of its own.
    const std::string chunk(line);
    api::AnswerLayout whole;
    api::AnswerLayout quick;
    const bool scanned = api::scan_answer(chunk, whole);
    check(chunks.scan(chunk, quick) == scanned, "ChunkScanner and scan_answer disagree");
    if (scanned) check(same_layout(whole, quick), "ChunkScanner's layout is not scan_answer's");
  }
  return 0;
}
