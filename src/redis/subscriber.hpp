// A connection of its own in Redis's subscribed mode (SUBSCRIBE, PSUBSCRIBE): messages are handed
// to a callback as they arrive. When the connection breaks it dials again after a backoff (the
// Options' backoff, reset once everything is subscribed again) and subscribes again. Messages
// published while it was away are lost: on_subscribed, called after every subscription, first or
// renewed, is where a listener catches up (e.g. reloads what the messages would have changed).
// A Subscriber is used from its io_context's thread only; stats() may be read anywhere.
#pragma once

#include "redis/options.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace llmux::redis {

namespace asio = boost::asio;

struct Message {
  std::string pattern;  // the PSUBSCRIBE pattern it matched; empty for a SUBSCRIBE channel
  std::string channel;
  std::string payload;
};

struct Subscription {
  std::vector<std::string> channels;  // SUBSCRIBE
  std::vector<std::string> patterns;  // PSUBSCRIBE
  std::function<void(const Message&)> on_message;
  std::function<void()> on_subscribed;  // optional
};

struct SubscriberStats {
  bool connected = false;  // subscribed, and the connection is up
  std::uint64_t messages = 0;
  std::uint64_t connects = 0;          // connection attempts
  std::uint64_t connect_failures = 0;  // attempts that failed, or were refused a subscription
  std::uint64_t reconnects = 0;        // subscriptions renewed after the first
};

class Subscriber {
 public:
  // Starts at once, on `io`.
  Subscriber(asio::io_context& io, Options options, Subscription subscription);
  // Stops: no callback runs afterwards. Destroy a Subscriber before its io_context.
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  SubscriberStats stats() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace llmux::redis
