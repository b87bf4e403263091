// OpenAI's model list (/models, /models/{id}): each model_name once; a virtual key sees only the
// models it may call, and another is answered as one that does not exist. LiteLLM's /model/info,
// for any key: every deployment of what it may call, with its provider, api base, prices, access
// groups and live health; /v2/model/info the same in pages, /model_group/info one entry a group.
#pragma once

#include "handlers/callers.hpp"
#include "router/live_router.hpp"
#include "server/routes.hpp"

#include <boost/json/array.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace llmux::handlers {

namespace asio = boost::asio;
namespace json = boost::json;

// An api base as it may be shown (/model/info, /health): without user information, query or
// fragment, where a credential could be written.
std::string shown_api_base(std::string_view url);

class ModelRoutes {
 public:
  ModelRoutes(const router::LiveRouter& router, Callers& callers, std::int64_t started_at)
      : router_(router), callers_(callers), started_at_(started_at) {}

  void add_to(server::Routes& routes);

 private:
  asio::awaitable<void> list(server::Exchange& exchange);
  asio::awaitable<void> get(server::Exchange& exchange, std::string id);
  asio::awaitable<void> info(server::Exchange& exchange);
  asio::awaitable<void> info_pages(server::Exchange& exchange);
  asio::awaitable<void> group_info(server::Exchange& exchange);
  // /model/info's entries for the deployments of the groups the caller may call whose name
  // passes `keep`.
  template <class Keep>
  static json::array deployments_json(const router::Router& router, const auth::Caller& caller,
                                      Keep keep);
  static bool may_call(const router::ModelTable& models, const auth::Caller& caller,
                       std::string_view model);

  const router::LiveRouter& router_;
  Callers& callers_;
  std::int64_t started_at_;  // Unix seconds, the "created" of every entry
};

}  // namespace llmux::handlers
