// The Responses API's stored responses, on the store thread: what POST /v1/responses keeps (its
// answer, and the conversation it answered) for GET / DELETE /v1/responses/{id},
// /input_items and previous_response_id. Each belongs to the key that made it; another key
// finds nothing. Without a database nothing is stored.
#pragma once

#include "base/error.hpp"
#include "store/service.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace llmux::handlers {

namespace asio = boost::asio;

struct StoredResponseLimits {
  std::chrono::milliseconds retention{std::chrono::hours(24 * 30)};
  std::size_t max_bytes = 4u << 20;  // input items and response together
};

class StoredResponses {
 public:
  // service: nullptr without a database.
  StoredResponses(store::Service* service, StoredResponseLimits limits)
      : service_(service), limits_(limits) {}

  bool available() const { return service_ != nullptr; }

  // The owner's response, or 404 naming it.
  asio::awaitable<Result<store::StoredResponse>> find(std::string owner, std::string id);
  // A response larger than the limit is not kept (an error the caller may ignore: the client
  // has its answer either way).
  asio::awaitable<Result<void>> save(std::string owner, std::string id, std::string input_items,
                                     std::string response);
  // 404 when the owner has no such response.
  asio::awaitable<Result<void>> remove(std::string owner, std::string id);

 private:
  store::Service* service_;
  StoredResponseLimits limits_;
};

}  // namespace llmux::handlers
