#include "server/client_limits.hpp"

#include <algorithm>

namespace llmux::server {

namespace ip = boost::asio::ip;

namespace {

// Past this many remembered addresses, idle ones are forgotten (at most once a second).
constexpr std::size_t kSweepAbove = 4096;
constexpr auto kSweepInterval = std::chrono::seconds(1);

// An IPv4 client of a dual-stack listener arrives as ::ffff:a.b.c.d: the same client as a.b.c.d.
ip::address canonical(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  return address;
}

}  // namespace

ClientLimits::ClientLimits(Settings settings)
    : settings_(settings),
      burst_(settings.burst > 0 ? settings.burst : std::max(1.0, settings.requests_per_second)) {}

ClientLimits::Client& ClientLimits::refilled(const ip::address& client, Clock::time_point now) {
  auto [found, added] = clients_.try_emplace(canonical(client));
  Client& entry = found->second;
  if (added) {
    entry.tokens = burst_;
  } else if (settings_.requests_per_second > 0) {
    const double seconds = std::chrono::duration<double>(now - entry.refilled).count();
    entry.tokens = std::min(burst_, entry.tokens + seconds * settings_.requests_per_second);
  }
  entry.refilled = now;
  return entry;
}

void ClientLimits::forget_idle_clients(Clock::time_point now) {
  if (clients_.size() <= kSweepAbove || now - last_sweep_ < kSweepInterval) return;
  last_sweep_ = now;
  for (auto it = clients_.begin(); it != clients_.end();) {
    Client& entry = refilled(it->first, now);
    it = idle(entry) ? clients_.erase(it) : std::next(it);
  }
}

bool ClientLimits::try_open(const ip::address& client) {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  forget_idle_clients(now);
  Client& entry = refilled(client, now);
  if (settings_.max_connections > 0 && entry.connections >= settings_.max_connections) return false;
  ++entry.connections;
  return true;
}

void ClientLimits::close(const ip::address& client) {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  const auto found = clients_.find(canonical(client));
  if (found == clients_.end()) return;
  Client& entry = refilled(found->first, now);
  if (entry.connections > 0) --entry.connections;
  if (idle(entry)) clients_.erase(found);
}

bool ClientLimits::try_request(const ip::address& client, Clock::time_point now) {
  if (settings_.requests_per_second <= 0) return true;
  std::lock_guard lock(mutex_);
  Client& entry = refilled(client, now);
  if (entry.tokens < 1) return false;
  entry.tokens -= 1;
  return true;
}

ip::address forwarded_client(const net::http1::RequestHead& head, const ip::address& peer) {
  std::string_view value;
  for (const auto& [name, text] : head.fields) {
    if (net::http1::iequals(name, "x-forwarded-for")) value = text;
  }
  std::string_view entry = value.substr(value.rfind(',') + 1);  // npos + 1: the whole value
  while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) entry.remove_prefix(1);
  while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
  if (entry.starts_with('[')) {  // [2001:db8::1] or [2001:db8::1]:443
    const auto close = entry.find(']');
    entry = close == std::string_view::npos ? std::string_view() : entry.substr(1, close - 1);
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {  // 203.0.113.7:41234
    entry = entry.substr(0, entry.find(':'));
  }
  boost::system::error_code ec;
  const ip::address client = ip::make_address(entry, ec);
  return ec ? peer : client;
}

}  // namespace llmux::server
