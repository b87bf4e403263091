// The NDJSON line splitter (providers/wire/ndjson) of Ollama's streams. Checks: the lines, the
// last unterminated line and a line-length failure do not depend on where the stream was cut.
#include "providers/wire/ndjson.hpp"
#include "support.hpp"

#include <string>
#include <vector>

namespace {

namespace wire = llmux::providers::wire;
using llmux::fuzz::check;

struct Split {
  bool ok = true;
  std::vector<std::string> lines;
  std::string last;
  bool operator==(const Split&) const = default;
};

Split split(const std::vector<std::string_view>& pieces, std::size_t max_line_bytes) {
  wire::NdjsonSplitter splitter(max_line_bytes);
  Split result;
  for (const std::string_view piece : pieces) {
    const bool fed = splitter.feed(piece, [&](std::string_view line) {
      check(!line.empty(), "a blank line handed out");
      check(!line.starts_with(' ') && !line.ends_with(' ') && !line.ends_with('\r'),
            "a line handed out untrimmed");
      result.lines.emplace_back(line);
      return true;
    });
    if (!fed) {
      check(splitter.failed(), "feed failed without failing the splitter");
      result.ok = false;
      return result;
    }
  }
  result.last = splitter.finish();
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  const auto pieces = llmux::fuzz::pieces(input);
  for (const std::size_t limit : {std::size_t{16} << 20, 1 + size % 61}) {
    const Split whole = split({input}, limit);
    check(whole == split(pieces, limit), "lines differ when the stream arrives in pieces");
  }
  return 0;
}
