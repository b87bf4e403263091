#include "relay/google_token_refresher.hpp"

#include "providers/wire/google_auth.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace llmux::relay {

namespace asio = boost::asio;
namespace wire = providers::wire;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kTokenCallTimeout = 30s;
constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";

// A token is no longer sent this long before Google says it expires (clock skew, a request in
// flight), at most a tenth of its lifetime.
std::chrono::milliseconds stale_margin(std::chrono::seconds lifetime) {
  return std::min<std::chrono::milliseconds>(10s, lifetime / 10);
}

// The token endpoint refused the account (bad key, unknown account): the client's error is a 401.
bool is_refusal(const Error& error) {
  return error.kind == ErrorKind::invalid_request || error.kind == ErrorKind::unauthenticated ||
         error.kind == ErrorKind::forbidden;
}

std::string seconds_text(std::chrono::milliseconds delay) {
  return std::to_string(std::chrono::duration<double>(delay).count()).substr(0, 5) + " s";
}

}  // namespace

std::chrono::milliseconds refresh_delay(std::chrono::seconds lifetime) {
  // At least a second: a token endpoint that answers expires_in 0 is not asked in a busy loop.
  if (lifetime < 10min)
    return std::max<std::chrono::milliseconds>(1s, std::chrono::milliseconds(lifetime) / 2);
  return lifetime - 5min;
}

std::chrono::milliseconds retry_delay(int failures) {
  const int doublings = std::clamp(failures - 1, 0, 6);
  return std::min<std::chrono::milliseconds>(1s * (1 << doublings), 60s);
}

struct GoogleTokenRefresher::Refresh {
  Refresh(std::vector<std::shared_ptr<wire::GoogleAccessToken>> tokens_, asio::io_context& io)
      : tokens(std::move(tokens_)), timer(io) {
    for (const auto& token : tokens) owners += (owners.empty() ? "" : ", ") + token->owner();
  }

  // The same account's holders: the first one's key signs; all of them get each token.
  std::vector<std::shared_ptr<wire::GoogleAccessToken>> tokens;
  std::string owners;  // for log lines
  asio::steady_timer timer;
  upstream::AbortHandle* in_flight = nullptr;
  bool stopping = false;
  bool first = true;  // no answer to a request yet
};

GoogleTokenRefresher::GoogleTokenRefresher(const router::ModelTable& models, Log log)
    : log_(std::move(log)) {
  const auto same_account = [](const wire::GoogleAccessToken& a, const wire::GoogleAccessToken& b) {
    return a.account().client_email == b.account().client_email &&
           a.account().private_key_id == b.account().private_key_id &&
           a.account().private_key_pem == b.account().private_key_pem &&
           a.token_uri() == b.token_uri();
  };
  for (const auto& name : models.model_names()) {
    for (const auto& deployment : *models.group(name)) {
      const auto& token = deployment.target.google_token;
      if (!token) continue;
      const auto shared = std::ranges::find_if(
          accounts_, [&](const auto& group) { return same_account(*group.front(), *token); });
      if (shared != accounts_.end())
        shared->push_back(token);
      else
        accounts_.push_back({token});
    }
  }
}

GoogleTokenRefresher::~GoogleTokenRefresher() { stop(); }

void GoogleTokenRefresher::log(std::string_view level, const std::string& message) const {
  if (log_) log_(level, message);
}

bool GoogleTokenRefresher::needs_tls() const {
  return std::ranges::any_of(accounts_, [](const auto& group) {
    return group.front()->token_uri().starts_with("https://");
  });
}

void GoogleTokenRefresher::start(asio::ssl::context& tls) {
  if (accounts_.empty() || thread_.joinable()) return;
  client_ = std::make_unique<upstream::Client>(io_, tls);
  first_answers_missing_ = accounts_.size();
  for (const auto& group : accounts_) {
    auto& refresh = refreshes_.emplace_back(group, io_);
    asio::co_spawn(io_, keep_fresh(refresh), asio::detached);
  }
  thread_ = std::thread([this] { io_.run(); });
}

void GoogleTokenRefresher::wait_for_first_answers() {
  std::unique_lock lock(first_answers_mutex_);
  first_answered_.wait(lock, [this] { return first_answers_missing_ == 0; });
}

void GoogleTokenRefresher::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    for (auto& refresh : refreshes_) {
      refresh.stopping = true;
      refresh.timer.cancel();
      if (refresh.in_flight) refresh.in_flight->abort();
    }
  });
  thread_.join();
  client_.reset();  // its pooled sockets belong to io_, which outlives it
}

asio::awaitable<void> GoogleTokenRefresher::keep_fresh(Refresh& refresh) {
  const auto& token = *refresh.tokens.front();
  int failures = 0;
  std::optional<SteadyClock::time_point> stale_at;  // when the published token stops being sent
  while (!refresh.stopping) {
    const auto issued_at = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    // The assertion's audience is the key's token endpoint, wherever the call is sent.
    auto assertion = wire::sign_jwt_assertion(token.account(), wire::kCloudPlatformScope,
                                              token.account().token_uri, issued_at);
    Result<wire::AccessToken> fetched = make_error(ErrorKind::internal, "not fetched");
    if (!assertion) {
      fetched = assertion.error();
    } else {
      upstream::Call call{.url = token.token_uri(),
                          .headers = {},
                          .body = wire::token_request_body(*assertion),
                          .timeout = kTokenCallTimeout,
                          .first_byte_timeout = kTokenCallTimeout,
                          .content_type = kFormContentType};
      upstream::AbortHandle abort;
      refresh.in_flight = &abort;
      auto response = co_await client_->send(std::move(call), abort);
      refresh.in_flight = nullptr;
      if (refresh.stopping) co_return;
      if (!response) {
        fetched = make_error(response.error().kind,
                             "token endpoint unreachable: " + response.error().message);
      } else {
        fetched = wire::parse_token_response(response->status, response->body);
      }
    }

    std::chrono::milliseconds delay;
    if (fetched) {
      for (const auto& holder : refresh.tokens) holder->publish(fetched->value);
      stale_at = SteadyClock::now() + fetched->expires_in - stale_margin(fetched->expires_in);
      failures = 0;
      delay = refresh_delay(fetched->expires_in);
      log("info", refresh.owners + ": OAuth access token refreshed, valid for " +
                      std::to_string(fetched->expires_in.count()) + " s");
    } else {
      ++failures;
      const auto now = SteadyClock::now();
      const bool expired = !stale_at || now >= *stale_at;
      for (const auto& holder : refresh.tokens) {
        holder->report_failure(fetched.error().message, is_refusal(fetched.error()), expired);
      }
      delay = retry_delay(failures);
      if (!expired) {
        delay = std::min(delay, std::chrono::ceil<std::chrono::milliseconds>(*stale_at - now));
      }
      log("warning", refresh.owners + ": cannot get an OAuth access token for " +
                         token.account().client_email + " from " + token.token_uri() + ": " +
                         fetched.error().message + "; retrying in " + seconds_text(delay));
    }
    if (std::exchange(refresh.first, false)) {
      std::lock_guard lock(first_answers_mutex_);
      --first_answers_missing_;
      first_answered_.notify_all();
    }
    refresh.timer.expires_after(delay);
    co_await refresh.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace llmux::relay
