// Calls answered in process: a provider that needs no upstream (mock_response) encodes its whole
// answer as the call's body and addresses it to a "local:" URL; this transport hands that body
// back as a 200 answer, and passes every other call on to the network. So the relay has one path
// for every deployment, and the local answer is decoded like any upstream's.
#pragma once

#include "providers/provider.hpp"
#include "upstream/transport.hpp"

#include <string_view>

namespace llmux::relay {

namespace asio = boost::asio;

class WithLocalAnswers final : public upstream::Transport {
 public:
  explicit WithLocalAnswers(upstream::Transport& network) : network_(network) {}
  asio::awaitable<Result<upstream::Response>> send(upstream::Call call,
                                                   upstream::AbortHandle& abort) override;
  asio::awaitable<Result<std::unique_ptr<upstream::ResponseStream>>> open_stream(
      upstream::Call call, upstream::AbortHandle& abort) override;

 private:
  upstream::Transport& network_;
};

}  // namespace llmux::relay
