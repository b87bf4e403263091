// /spend/logs (the spend log's rows), /global/spend and /global/spend/report (sums of the daily
// aggregate tables, which outlive the log's retention): the master key's only. Every filter is a
// bound parameter; the log's indexes cover each filter with time.
#pragma once

#include "admin/management.hpp"

namespace llmux::admin {

class SpendRoutes {
 public:
  explicit SpendRoutes(Management& management) : management_(management) {}

  void add_to(server::Routes& routes);

 private:
  asio::awaitable<void> logs(Admitted request);
  asio::awaitable<void> total(Admitted request);
  asio::awaitable<void> report(Admitted request);

  Management& management_;
};

}  // namespace llmux::admin
