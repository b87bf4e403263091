#include "relay/local_answers.hpp"

namespace llmux::relay {

namespace {

// The whole body in one piece, then its end.
class LocalStream final : public upstream::ResponseStream {
 public:
  explicit LocalStream(std::string body) : body_(std::move(body)) {}
  int status() const override { return 200; }
  std::optional<std::chrono::seconds> retry_after() const override { return std::nullopt; }
  asio::awaitable<Result<std::optional<std::string_view>>> next() override {
    if (read_) co_return std::optional<std::string_view>();
    read_ = true;
    co_return std::optional<std::string_view>(body_);
  }

 private:
  std::string body_;
  bool read_ = false;
};

}  // namespace

asio::awaitable<Result<upstream::Response>> WithLocalAnswers::send(upstream::Call call,
                                                                   upstream::AbortHandle& abort) {
  if (!call.url.starts_with(providers::kLocalScheme))
    co_return co_await network_.send(std::move(call), abort);
  co_return upstream::Response{.status = 200, .body = std::move(call.body)};
}

asio::awaitable<Result<std::unique_ptr<upstream::ResponseStream>>> WithLocalAnswers::open_stream(
    upstream::Call call, upstream::AbortHandle& abort) {
  if (!call.url.starts_with(providers::kLocalScheme))
    co_return co_await network_.open_stream(std::move(call), abort);
  co_return std::unique_ptr<upstream::ResponseStream>(
      std::make_unique<LocalStream>(std::move(call.body)));
}

}  // namespace llmux::relay
