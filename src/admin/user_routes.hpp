// /user/new|info|update|delete|list and /customer/new|info|update|delete|block|unblock, the
// master key's only. A user's models, budget and limits apply to all of their keys; an end
// user's ("customer": the body's `user` or x-litellm-customer-id) budget to every call made on
// their behalf. The rules are in admin/user_rules.
#pragma once

#include "admin/management.hpp"

namespace llmux::admin {

class UserRoutes {
 public:
  explicit UserRoutes(Management& management) : management_(management) {}

  void add_to(server::Routes& routes);

 private:
  Management& management_;
};

}  // namespace llmux::admin
