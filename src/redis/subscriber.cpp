#include "redis/subscriber.hpp"

#include "redis/link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <string_view>

namespace llmux::redis {

namespace {

// SUBSCRIBE a b … or PSUBSCRIBE p q …; nothing for no names.
std::string subscribe_command(std::string_view verb, const std::vector<std::string>& names) {
  if (names.empty()) return {};
  std::vector<std::string_view> parts{verb};
  parts.insert(parts.end(), names.begin(), names.end());
  return Command(parts).wire();
}

}  // namespace

struct Subscriber::State {
  State(asio::io_context& io, Options options, Subscription subscription)
      : options(std::move(options)),
        subscription(std::move(subscription)),
        backoff(this->options),
        wait(io) {
    if (!this->options.tls) return;
    auto context = make_tls_context(this->options);
    if (context) tls = std::move(*context);  // else every attempt fails, and counts as such
  }

  const Options options;
  const Subscription subscription;
  std::shared_ptr<asio::ssl::context> tls;
  Backoff backoff;
  asio::steady_timer wait;  // for the backoff
  Link* link = nullptr;     // while listening
  bool stopped = false;
  std::atomic<bool> connected{false};
  Counter messages, connects, connect_failures, reconnects;

  void stop() {
    stopped = true;
    wait.cancel();
    if (link) link->close();
  }

  static asio::awaitable<void> run(std::shared_ptr<State> state) {
    bool ever_subscribed = false;
    while (!state->stopped) {
      if (state->backoff.waiting()) {
        state->wait.expires_at(state->backoff.retry_at());
        co_await state->wait.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      state->connects.add();
      bool subscribed = false;
      if (!state->options.tls || state->tls) {  // else the CA file could not be read: a failure
        auto link = co_await Link::open(state->options, state->tls.get());
        if (state->stopped) break;
        if (link) subscribed = co_await listen(*state, **link, ever_subscribed);
      }
      state->connected = false;
      // A connection that never got its subscriptions (refused, or dropped at once) waits like a
      // failed dial, so a server that turns us away is not dialed in a loop.
      if (!subscribed && !state->stopped) {
        state->connect_failures.add();
        state->backoff.failed();
      }
      ever_subscribed = ever_subscribed || subscribed;
    }
  }

  // Subscribes on `link` and hands messages out until it fails or the subscriber stops. True if
  // every subscription was confirmed.
  static asio::awaitable<bool> listen(State& state, Link& link, bool resubscribing) {
    state.link = &link;
    const Subscription& subscription = state.subscription;
    std::size_t unconfirmed = subscription.channels.size() + subscription.patterns.size();
    const std::string wire = subscribe_command("SUBSCRIBE", subscription.channels) +
                             subscribe_command("PSUBSCRIBE", subscription.patterns);
    bool confirmed = false;
    auto confirm = [&] {
      confirmed = true;
      state.backoff.succeeded();
      state.connected = true;
      if (resubscribing) state.reconnects.add();
      if (subscription.on_subscribed) subscription.on_subscribed();
    };
    if (unconfirmed == 0) confirm();
    bool healthy = !wire.empty() ? bool(co_await link.write(wire)) : true;
    std::vector<Reply> replies;
    while (healthy && !state.stopped) {
      replies.clear();
      healthy = bool(co_await link.read(replies));
      for (const Reply& reply : replies) {
        if (state.stopped) break;
        if (reply.is_error() || reply.type != Reply::Type::array || reply.elements.empty()) {
          healthy = false;  // a subscription refused (ACL), or something else than pub/sub
          break;
        }
        const auto& parts = reply.elements;
        const std::string_view kind = parts[0].text;
        if (kind == "message" && parts.size() == 3) {
          state.messages.add();
          subscription.on_message(Message{.channel = parts[1].text, .payload = parts[2].text});
        } else if (kind == "pmessage" && parts.size() == 4) {
          state.messages.add();
          subscription.on_message(Message{
              .pattern = parts[1].text, .channel = parts[2].text, .payload = parts[3].text});
        } else if ((kind == "subscribe" || kind == "psubscribe") && unconfirmed > 0 &&
                   --unconfirmed == 0) {
          confirm();
        }
      }
    }
    link.close();
    state.link = nullptr;
    co_return confirmed;
  }
};

Subscriber::Subscriber(asio::io_context& io, Options options, Subscription subscription)
    : state_(std::make_shared<State>(io, std::move(options), std::move(subscription))) {
  asio::co_spawn(io, State::run(state_), asio::detached);
}

Subscriber::~Subscriber() { state_->stop(); }

SubscriberStats Subscriber::stats() const {
  return SubscriberStats{.connected = state_->connected.load(std::memory_order_relaxed),
                         .messages = state_->messages.get(),
                         .connects = state_->connects.get(),
                         .connect_failures = state_->connect_failures.get(),
                         .reconnects = state_->reconnects.get()};
}

}  // namespace llmux::redis
