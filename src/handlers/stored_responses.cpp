#include "handlers/stored_responses.hpp"

namespace llmux::handlers {

namespace {

Error not_found(const std::string& id) {
  return make_error(ErrorKind::not_found, "Response with id '" + id + "' not found.");
}

}  // namespace

asio::awaitable<Result<store::StoredResponse>> StoredResponses::find(std::string owner,
                                                                     std::string id) {
  if (!service_) co_return not_found(id);
  auto work = [&](store::Store& store) {
    return store.find_response(id, owner, store::now_millis());
  };
  auto found = co_await service_->run(work);
  if (!found) co_return found.error();
  if (!*found) co_return not_found(id);
  co_return std::move(**found);
}

asio::awaitable<Result<void>> StoredResponses::save(std::string owner, std::string id,
                                                    std::string input_items, std::string response) {
  if (!service_) co_return make_error(ErrorKind::unavailable, "No database to store responses.");
  if (input_items.size() + response.size() > limits_.max_bytes)
    co_return make_error(ErrorKind::payload_too_large,
                         "The response is larger than max_stored_response_size_mb.");
  const store::Millis now = store::now_millis();
  store::StoredResponse stored{.response_id = std::move(id),
                               .api_key = std::move(owner),
                               .created_at = now,
                               .expires_at = now + limits_.retention.count(),
                               .input_items = std::move(input_items),
                               .response = std::move(response)};
  auto work = [&](store::Store& store) {
    store.save_response(stored, stored.created_at);
    return true;
  };
  auto saved = co_await service_->run(work);
  if (!saved) co_return saved.error();
  co_return Result<void>{};
}

asio::awaitable<Result<void>> StoredResponses::remove(std::string owner, std::string id) {
  if (!service_) co_return not_found(id);
  auto work = [&](store::Store& store) { return store.delete_response(id, owner); };
  auto removed = co_await service_->run(work);
  if (!removed) co_return removed.error();
  if (!*removed) co_return not_found(id);
  co_return Result<void>{};
}

}  // namespace llmux::handlers
