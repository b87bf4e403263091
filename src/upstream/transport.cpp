#include "upstream/transport.hpp"

namespace llmux::upstream {

asio::awaitable<Result<std::string>> ResponseStream::read_all(std::size_t limit) {
  const auto too_large = [limit] {
    return make_error(
        ErrorKind::upstream_failed,
        "The upstream's answer is larger than the limit of " + std::to_string(limit) + " bytes.");
  };
  if (const auto declared = declared_length(); declared && *declared > limit) co_return too_large();
  std::string all;
  while (true) {
    auto piece = co_await next();
    if (!piece) co_return piece.error();
    if (!*piece) co_return all;
    if (all.size() + (*piece)->size() > limit) co_return too_large();
    all += **piece;
  }
}

}  // namespace llmux::upstream
