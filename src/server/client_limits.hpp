// Per-client limits at the door, shared by every worker's listener: the connections one client
// address may hold open, and the requests it may send per second (a token bucket refilled at
// that rate, holding at most a burst). One mutex, taken only when a limit is set.
#pragma once

#include "net/http1.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace llmux::server {

class ClientLimits {
 public:
  using Clock = std::chrono::steady_clock;
  struct Settings {
    std::size_t max_connections = 0;  // per address; 0: no limit
    double requests_per_second = 0;   // per address; 0: no limit
    double burst = 0;                 // requests an idle address may send at once; 0: the rate
  };

  explicit ClientLimits(Settings settings);

  bool any() const { return settings_.max_connections > 0 || settings_.requests_per_second > 0; }
  std::size_t max_connections() const { return settings_.max_connections; }
  double requests_per_second() const { return settings_.requests_per_second; }
  double burst() const { return burst_; }

  // A connection from `client` opens: false (and nothing counted) when it holds the most already.
  bool try_open(const boost::asio::ip::address& client);
  // A connection that try_open let in has closed.
  void close(const boost::asio::ip::address& client);
  // A request from `client` at `now`: false when its bucket is empty.
  bool try_request(const boost::asio::ip::address& client, Clock::time_point now = Clock::now());

 private:
  struct Client {
    std::size_t connections = 0;
    double tokens = 0;
    Clock::time_point refilled;
  };
  // The client's entry, its bucket refilled up to `now` (a new one starts full).
  Client& refilled(const boost::asio::ip::address& client, Clock::time_point now);
  // Whether `entry` can be forgotten: no connection open and a full bucket.
  bool idle(const Client& entry) const { return entry.connections == 0 && entry.tokens >= burst_; }
  void forget_idle_clients(Clock::time_point now);

  Settings settings_;
  double burst_;
  std::mutex mutex_;
  std::unordered_map<boost::asio::ip::address, Client> clients_;
  Clock::time_point last_sweep_{};
};

// The client a trusted proxy sent a request for: the last address of the request's last
// X-Forwarded-For field (the proxy appends the address it saw; what lies left of it the client
// may have written itself), with a port or IPv6 brackets removed; `peer` when there is none or
// it is not an address.
boost::asio::ip::address forwarded_client(const net::http1::RequestHead& head,
                                          const boost::asio::ip::address& peer);

}  // namespace llmux::server
