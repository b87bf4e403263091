#include "upstream/transport.hpp"

namespace llmux::upstream {

asio::awaitable<Result<std::string>> ResponseStream::read_all(std::size_t limit) {
  std::string all;
  while (true) {
    auto piece = co_await next();
    if (!piece) co_return piece.error();
    if (!*piece) co_return all;
    if (all.size() + (*piece)->size() > limit) {
      co_return make_error(ErrorKind::upstream_failed, "The upstream's answer is larger than the limit.");
    }
    all += **piece;
  }
}

}  // namespace llmux::upstream
