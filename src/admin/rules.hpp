// What the rules of every admin family (keys, teams, users, end users) share. A rule takes the
// parsed request and the store (it runs on the store thread, inside store::Service::run) and
// returns its answer or the expected failure as a value; it never throws for one.
#pragma once

#include "base/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace llmux::admin {

// What a change gives back: its answer (the record as stored now, the ids deleted), and the keys
// whose spend the change wrote, whose live spend the key cache takes from the database again.
template <class T>
struct Changed {
  T value;
  std::vector<std::string> spend_written = {};
};

// LiteLLM's 401 for a virtual key on an admin route.
Error admin_only(std::string_view route);

// LiteLLM's 403 for a virtual key reading what is not its own (another key, team or user).
Error not_yours(std::string message);

// "<what> not found." (404), naming the request field that named it.
Error not_found(std::string_view what, std::string param);

}  // namespace llmux::admin
