#include "admin/rules.hpp"

namespace llmux::admin {

Error admin_only(std::string_view route) {
  Error error = make_error(
      ErrorKind::unauthenticated,
      "Authentication Error, Only proxy admin can be used to generate, delete, update info for "
      "new keys/users/teams. Route=" +
          std::string(route) + ". Your role=internal_user.",
      "", "401");
  error.type = "auth_error";
  return error;
}

Error not_yours(std::string message) {
  Error error = make_error(ErrorKind::forbidden, std::move(message), "", "403");
  error.type = "auth_error";
  return error;
}

Error not_found(std::string_view what, std::string param) {
  return make_error(ErrorKind::not_found, std::string(what) + " not found.", std::move(param));
}

}  // namespace llmux::admin
