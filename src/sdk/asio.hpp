// sdk::Client for Asio programs: its calls as asynchronous operations that take any completion
// token (asio::use_awaitable, a callback, asio::deferred, …) and complete on the token's executor,
// never on the client's thread. A call whose token has a cancellation slot (co_await of
// `call || timer`, asio::bind_cancellation_slot) is cancelled through it as PendingCall::cancel()
// does; a pending async_next, as ChunkStream::cancel() does. Boost.Asio's headers are this header's
// only addition to client.hpp's.
//
//   auto answer = co_await llmux::sdk::acompletion(client, body);  // Result<Completion>
//   auto stream = co_await llmux::sdk::async_open_stream(client, endpoint, body, use_awaitable);
//   while (auto chunk = co_await llmux::sdk::async_next(*stream, use_awaitable)) {
//     if (!*chunk) break;  // the end; `chunk` false: the stream failed
//   }
#pragma once

#include "sdk/client.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace llmux::sdk {

namespace detail {

// A handler handed to the client's thread: std::function needs a copyable callable, and the
// handler's executor is kept busy (its io_context does not run out of work) until the result
// is posted to it (never run inside the initiating call). The handler's cancellation slot is
// cleared there, before the handler runs, as Asio's own operations do.
template <class Handler, class Value>
class Completer {
 public:
  explicit Completer(Handler handler)
      : handler_(std::move(handler)),
        work_(boost::asio::make_work_guard(boost::asio::get_associated_executor(handler_))) {}

  void complete(Value value) {
    complete_with([&value] { return std::optional<Value>(std::move(value)); });
  }

  // Completes with what `take` returns, unless it returns nullopt or this already completed:
  // `take` runs under the completer's lock, so two notifications never both take an item.
  template <class Take>
  void complete_with(Take take) {
    std::lock_guard lock(mutex_);
    if (completed_) return;
    std::optional<Value> value = take();
    if (!value) return;
    completed_ = true;
    auto executor = work_.get_executor();
    boost::asio::post(executor, [handler = std::move(handler_), value = std::move(*value),
                                 work = std::move(work_)]() mutable {
      auto slot = boost::asio::get_associated_cancellation_slot(handler);
      if (slot.is_connected()) slot.clear();
      std::move(handler)(std::move(value));
    });
  }

 private:
  Handler handler_;
  boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> work_;
  std::mutex mutex_;
  bool completed_ = false;
};

template <class Value, class Handler>
auto completer(Handler handler) {
  return std::make_shared<Completer<Handler, Value>>(std::move(handler));
}

// A cancellation through the operation's slot (if it has one) cancels the call.
template <class Slot>
void cancel_through(Slot& slot, PendingCall pending) {
  if (slot.is_connected()) {
    slot.assign([pending](boost::asio::cancellation_type) mutable { pending.cancel(); });
  }
}

}  // namespace detail

// Client::call_async as an operation: void(Result<Completion>).
template <class Token>
auto async_call(Client& client, api::Endpoint endpoint, std::string body, Token&& token) {
  return boost::asio::async_initiate<Token, void(Result<Completion>)>(
      [&client](auto handler, api::Endpoint endpoint, std::string body) {
        auto slot = boost::asio::get_associated_cancellation_slot(handler);
        auto done = detail::completer<Result<Completion>>(std::move(handler));
        PendingCall pending = client.call_async(
            endpoint, std::move(body),
            [done](Result<Completion> result) { done->complete(std::move(result)); });
        detail::cancel_through(slot, std::move(pending));
      },
      token, endpoint, std::move(body));
}

// A chat completion awaited in a coroutine, as litellm.acompletion is.
inline boost::asio::awaitable<Result<Completion>> acompletion(Client& client, std::string body) {
  return async_call(client, api::Endpoint::chat_completions, std::move(body),
                    boost::asio::use_awaitable);
}

// Client::open_stream_async as an operation: void(Result<ChunkStream>), once the first chunk
// arrived or the call failed. Cancellable through the token's slot like async_call.
template <class Token>
auto async_open_stream(Client& client, api::Endpoint endpoint, std::string body, Token&& token) {
  return boost::asio::async_initiate<Token, void(Result<ChunkStream>)>(
      [&client](auto handler, api::Endpoint endpoint, std::string body) {
        auto slot = boost::asio::get_associated_cancellation_slot(handler);
        auto started = detail::completer<Result<ChunkStream>>(std::move(handler));
        PendingCall pending = client.open_stream_async(
            endpoint, std::move(body),
            [started](Result<ChunkStream> result) { started->complete(std::move(result)); });
        detail::cancel_through(slot, std::move(pending));
      },
      token, endpoint, std::move(body));
}

// The stream's next item as an operation: void(Result<optional<string>>), as ChunkStream::next
// gives it (a chunk, nullopt at the end, or the failure that ended the stream). One at a time.
// Cancelled through the token's slot, it completes at once with the error "cancelled" and stops
// the stream as ChunkStream::cancel() does.
template <class Token>
auto async_next(ChunkStream& stream, Token&& token) {
  using Item = Result<std::optional<std::string>>;
  return boost::asio::async_initiate<Token, void(Item)>(
      [&stream](auto handler) {
        auto slot = boost::asio::get_associated_cancellation_slot(handler);
        auto ready = detail::completer<Item>(std::move(handler));
        if (slot.is_connected()) {
          slot.assign([ready, &stream](boost::asio::cancellation_type) {
            stream.cancel();
            ready->complete(cancellation_error());
          });
        }
        // on_ready runs the notification at once (on this thread) when an item is waiting, else
        // on the client's thread; the stream must outlive the operation.
        stream.on_ready(
            [ready, &stream] { ready->complete_with([&] { return stream.try_next(); }); });
      },
      token);
}

}  // namespace llmux::sdk
