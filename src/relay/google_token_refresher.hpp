// Keeps every Vertex AI deployment's OAuth access token fresh, off the request path: one thread
// with its own event loop and upstream client signs a JWT assertion for each service account,
// exchanges it at the token endpoint, publishes the token into the GoogleAccessToken of every
// deployment that uses that account (one token per account and endpoint, however many
// deployments share it), and refreshes it before it expires. Failures are told to the tokens'
// holders (a call then fails with the reason), logged (never a secret) and retried with
// exponential backoff. The gateway (app/) and the in-process library (sdk/) both run one.
#pragma once

#include "router/model_table.hpp"
#include "upstream/client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace llmux::providers::wire {
class GoogleAccessToken;
}

namespace llmux::relay {

// When to refresh a token that lives `lifetime`: 5 minutes before it expires, or halfway for
// tokens shorter than 10 minutes (so a refresh always has time to be retried); at least 1 s.
std::chrono::milliseconds refresh_delay(std::chrono::seconds lifetime);
// The wait after the `failures`-th failure in a row: 1 s, 2 s, 4 s, … at most 60 s.
std::chrono::milliseconds retry_delay(int failures);

class GoogleTokenRefresher {
 public:
  // Where a refresh's log line goes: its level ("info", "warning") and text.
  using Log = std::function<void(std::string_view level, std::string_view message)>;

  // The deployments of `models` that hold a GoogleAccessToken, grouped by service account; the
  // log lines go to `log` (none without it).
  explicit GoogleTokenRefresher(const router::ModelTable& models, Log log = {});
  ~GoogleTokenRefresher();
  GoogleTokenRefresher(const GoogleTokenRefresher&) = delete;
  GoogleTokenRefresher& operator=(const GoogleTokenRefresher&) = delete;

  // A token endpoint is reached over https (the system's CA store must be loaded).
  bool needs_tls() const;
  // Starts fetching every token at once, on the refresher's own thread.
  void start(boost::asio::ssl::context& tls);
  // Waits until every account's first token request has its answer (a token published, or the
  // failure its deployments' calls then report): at most the request's 30 s timeout. The
  // in-process library waits so that its first calls do not fail for want of a token.
  void wait_for_first_answers();
  // Abandons the call in flight and the timers, and joins the thread.
  void stop();

 private:
  struct Refresh;
  boost::asio::awaitable<void> keep_fresh(Refresh& refresh);
  void log(std::string_view level, const std::string& message) const;

  // Deployments whose key (email, key id) and token endpoint are the same share one refresh.
  std::vector<std::vector<std::shared_ptr<providers::wire::GoogleAccessToken>>> accounts_;
  Log log_;
  boost::asio::io_context io_{1};
  std::unique_ptr<upstream::Client> client_;
  std::list<Refresh> refreshes_;  // stable addresses: each coroutine holds its own
  std::mutex first_answers_mutex_;
  std::condition_variable first_answered_;
  std::size_t first_answers_missing_ = 0;  // accounts whose first request has no answer yet
  std::thread thread_;
};

}  // namespace llmux::relay
