#include "fleet/key_changes.hpp"

#include "fleet/scripts.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

namespace llmux::fleet {

namespace {

constexpr const char* kChannel = "llmux:key-changes";

}  // namespace

KeyChanges::KeyChanges(asio::io_context& io, const redis::Options& options, Instance& instance,
                       redis::Client& publisher, OnChange on_change)
    : io_(io),
      instance_(instance),
      publisher_(publisher),
      on_change_(std::move(on_change)),
      subscriber_(io, options,
                  {.channels = {kChannel},
                   .on_message = [this](const redis::Message& message) { heard(message); },
                   .on_subscribed = [this] { on_change_({}); }}) {}

// The payload: the announcing instance's id, then one reset token per line. The spend Redis counts
// for budgets reset (or set by an admin) is first set to this instance's, so an admission on an
// instance that has not rebuilt its key cache yet does not start it from the spend before.
void KeyChanges::announce(const std::vector<SpendSet>& spend_set) {
  std::string payload = instance_.id;
  std::vector<std::string> spend_arguments;
  spend_arguments.reserve(spend_set.size() * 2);
  for (const SpendSet& set : spend_set) {
    payload += '\n' + set.subject;
    spend_arguments.push_back(set.subject);
    spend_arguments.push_back(std::to_string(set.spend ? nano_usd(*set.spend) : -1));
  }
  asio::post(io_, [this, spend_arguments = std::move(spend_arguments),
                   payload = std::move(payload)]() mutable {
    asio::co_spawn(
        io_,
        [this, spend_arguments = std::move(spend_arguments),
         payload = std::move(payload)]() -> asio::awaitable<void> {
          if (!spend_arguments.empty()) {
            const std::vector<std::string> no_keys;
            co_await publisher_.eval(set_spend_script(), no_keys, spend_arguments);
          }
          // Lost when Redis is away: the others' rebuild on resubscribing catches it up.
          redis::Command publish("PUBLISH", kChannel, payload);
          auto published = co_await publisher_.command(std::move(publish));
          instance_.redis_answered(published.has_value());
        },
        asio::detached);
  });
}

void KeyChanges::heard(const redis::Message& message) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = message.payload.find('\n', start);
    lines.push_back(message.payload.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (lines.front() == instance_.id) return;  // this instance's own change
  telemetry::FleetMetrics::add(instance_.metrics.key_changes_received);
  lines.erase(lines.begin());
  on_change_(std::move(lines));
}

}  // namespace llmux::fleet
