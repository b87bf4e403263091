// Key, team, user and end-user changes told to every instance of a fleet through Redis pub/sub
// (docs/SCALING.md): the instance that made a change announces it, the others rebuild their key
// cache from the database on hearing it. While the subscription is down messages are lost, so
// each (re)subscription is taken as a change too; the store's periodic rebuild stays as the last
// safety net.
#pragma once

#include "fleet/shared_limits.hpp"
#include "redis/subscriber.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace llmux::fleet {

class KeyChanges {
 public:
  // reset_tokens: the budgets the announcing instance reset (none for other changes).
  using OnChange = std::function<void(std::vector<std::string> reset_tokens)>;

  // Runs on `io`, announcing with `publisher` (a client on the same io_context); on_change runs
  // there too.
  KeyChanges(asio::io_context& io, const redis::Options& options, Instance& instance,
             redis::Client& publisher, OnChange on_change);

  // A budget holder whose spend this instance set anew in the database (its budget reset, or an
  // admin's change), with that spend in USD as this instance knows it now (nullopt: not known).
  struct SpendSet {
    std::string subject;
    std::optional<double> spend;
  };
  // Any thread: this instance changed keys.
  void announce(const std::vector<SpendSet>& spend_set);

 private:
  void heard(const redis::Message& message);

  asio::io_context& io_;
  Instance& instance_;
  redis::Client& publisher_;
  OnChange on_change_;
  redis::Subscriber subscriber_;
};

}  // namespace llmux::fleet
