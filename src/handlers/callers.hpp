// Who is calling, from the key the request presents (in whichever header it came): the master
// key, a virtual key of this worker's snapshot, or a refusal. One per worker.
#pragma once

#include "auth/authenticator.hpp"
#include "server/exchange.hpp"

#include <string_view>

namespace llmux::handlers {

namespace asio = boost::asio;

std::string_view presented_key(const server::Exchange& exchange);

class Callers {
 public:
  explicit Callers(const auth::Authenticator& authenticator)
      : authenticator_(authenticator), key_reader_(authenticator.keys()) {}
  Result<auth::Caller> identify(const server::Exchange& exchange);

 private:
  const auth::Authenticator& authenticator_;
  auth::KeyReader key_reader_;
};

}  // namespace llmux::handlers
