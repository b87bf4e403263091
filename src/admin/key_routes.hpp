// /key/generate|update|delete|info|list|regenerate|block|unblock and /key/{key}/regenerate, with
// LiteLLM's fields and answers. A virtual key may read its own /key/info; every other route is
// the master key's. The rules are in admin/key_rules.
#pragma once

#include "admin/management.hpp"

namespace llmux::admin {

class KeyRoutes {
 public:
  explicit KeyRoutes(Management& management) : management_(management) {}

  void add_to(server::Routes& routes);

 private:
  asio::awaitable<void> info(Admitted request);

  Management& management_;
};

}  // namespace llmux::admin
