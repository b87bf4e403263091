// The Redis reply parser (redis/resp), under its default limits and under small ones. Checks: the
// replies, and whether and where the stream fails, do not depend on where it was cut into reads;
// and a command's encoding is one array reply of its arguments when read back.
#include "redis/resp.hpp"
#include "support.hpp"

#include <string>
#include <vector>

namespace {

namespace redis = llmux::redis;
using llmux::fuzz::check;

struct Parsed {
  bool ok = true;
  std::vector<redis::Reply> replies;
  bool operator==(const Parsed&) const = default;
};

Parsed parse(const std::vector<std::string_view>& pieces, redis::ParserLimits limits) {
  redis::ReplyParser parser(limits);
  Parsed parsed;
  for (const std::string_view piece : pieces) {
    if (!parser.feed(piece, parsed.replies)) {
      parsed.ok = false;
      break;
    }
  }
  return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  const auto pieces = llmux::fuzz::pieces(input);
  const redis::ParserLimits small{
      .max_bulk_bytes = 16, .max_reply_bytes = 64, .max_elements = 8, .max_depth = 3};
  for (const redis::ParserLimits& limits : {redis::ParserLimits{}, small}) {
    const Parsed whole = parse({input}, limits);
    check(whole == parse(pieces, limits), "replies differ when the stream arrives in pieces");
  }

  // The input's lines as the arguments of one command.
  std::vector<std::string_view> arguments;
  for (std::string_view rest = input; !rest.empty();) {
    const auto end = rest.find('\n');
    arguments.push_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  if (arguments.empty()) return 0;
  const redis::Command command(arguments);
  const Parsed read_back = parse({command.wire()}, {});
  check(read_back.ok && read_back.replies.size() == 1, "a command does not read back as one");
  const redis::Reply& reply = read_back.replies[0];
  check(reply.type == redis::Reply::Type::array && reply.elements.size() == arguments.size(),
        "a command reads back as something else");
  for (std::size_t i = 0; i < arguments.size(); ++i)
    check(reply.elements[i].text == arguments[i], "an argument reads back otherwise");
  return 0;
}
