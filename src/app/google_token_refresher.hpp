// Keeps every Vertex AI deployment's OAuth access token fresh, off the request path: one thread
// with its own event loop and upstream client signs a JWT assertion for each service account,
// exchanges it at the token endpoint, publishes the token into the GoogleAccessToken of every
// deployment that uses that account (one token per account and endpoint, however many
// deployments share it), and refreshes it before it expires. Failures are logged (never a secret)
// and retried with exponential backoff.
#pragma once

#include "router/model_table.hpp"
#include "upstream/client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <list>
#include <memory>
#include <thread>
#include <vector>

namespace llmux::providers::wire {
class GoogleAccessToken;
}

namespace llmux::app {

// When to refresh a token that lives `lifetime`: 5 minutes before it expires, or halfway for
// tokens shorter than 10 minutes (so a refresh always has time to be retried); at least 1 s.
std::chrono::milliseconds refresh_delay(std::chrono::seconds lifetime);
// The wait after the `failures`-th failure in a row: 1 s, 2 s, 4 s, … at most 60 s.
std::chrono::milliseconds retry_delay(int failures);

class GoogleTokenRefresher {
 public:
  // The deployments of `models` that hold a GoogleAccessToken, grouped by service account.
  explicit GoogleTokenRefresher(const router::ModelTable& models);
  ~GoogleTokenRefresher();
  GoogleTokenRefresher(const GoogleTokenRefresher&) = delete;
  GoogleTokenRefresher& operator=(const GoogleTokenRefresher&) = delete;

  // A token endpoint is reached over https (the system's CA store must be loaded).
  bool needs_tls() const;
  // Starts fetching every token at once, on the refresher's own thread.
  void start(boost::asio::ssl::context& tls);
  // Abandons the call in flight and the timers, and joins the thread.
  void stop();

 private:
  struct Refresh;
  boost::asio::awaitable<void> keep_fresh(Refresh& refresh);

  // Deployments whose key (email, key id) and token endpoint are the same share one refresh.
  std::vector<std::vector<std::shared_ptr<providers::wire::GoogleAccessToken>>> accounts_;
  boost::asio::io_context io_{1};
  std::unique_ptr<upstream::Client> client_;
  std::list<Refresh> refreshes_;  // stable addresses: each coroutine holds its own
  std::thread thread_;
};

}  // namespace llmux::app
