// /team/new|info|update|delete|list|member_add|member_delete|block|unblock, the master key's
// only. A team's models, budget (with its window) and limits apply to every key whose team_id
// names it. The rules are in admin/team_rules.
#pragma once

#include "admin/management.hpp"

namespace llmux::admin {

class TeamRoutes {
 public:
  explicit TeamRoutes(Management& management) : management_(management) {}

  void add_to(server::Routes& routes);

 private:
  Management& management_;
};

}  // namespace llmux::admin
