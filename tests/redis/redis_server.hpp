// A real redis-server of a test's own (Debian's redis-server package): 127.0.0.1, a free port, a
// temp dir, no persistence; stopped and its files removed at the end. Plus running coroutines to
// completion on a test's io_context.
#pragma once

#include "redis/options.hpp"

#include <gtest/gtest.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace llmux::redis::testing {

namespace asio = boost::asio;

class RedisServer {
 public:
  struct Setup {
    std::vector<std::string> arguments;  // more redis-server options, e.g. {"--requirepass", "x"}
    // TLS only (the plain port off), with a CA and a server certificate for DNS:localhost made
    // with openssl at start.
    bool tls = false;
  };

  RedisServer();
  explicit RedisServer(Setup setup);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts (again, on the same port) and returns once it answers PING.
  void start();
  // SIGTERM, and waits for the process to end.
  void stop();
  // SIGKILL: gone at once, its connections reset.
  void kill();

  std::uint16_t port() const { return port_; }
  // Where it is: 127.0.0.1, or for TLS localhost with the generated CA to trust.
  Options options() const;
  std::string ca_file() const { return dir_ + "/ca.pem"; }

 private:
  void make_certificates() const;
  bool answers_ping() const;
  void wait(int signal);

  Setup setup_;
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// Runs `task` on `io` until it completes (other work, as a client's reader, may stay behind);
// fails the test if it takes longer than `limit`.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> task,
      std::chrono::seconds limit = std::chrono::seconds(30)) {
  std::optional<T> result;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr error, T value) {
    failure = error;
    result.emplace(std::move(value));
  });
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!result && !io.stopped() && std::chrono::steady_clock::now() < deadline) {
    io.run_one_until(deadline);
  }
  if (failure) std::rethrow_exception(failure);
  if (!result) throw std::runtime_error("the task did not complete in time");
  return std::move(*result);
}

// Runs `io` until `done()` holds; fails the test if that takes longer than `limit`.
void run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::seconds limit = std::chrono::seconds(30));

// Lets `duration` pass on `io` (running what comes meanwhile): for waiting out a backoff, whose
// length is what a test checks.
void let_time_pass(asio::io_context& io, std::chrono::milliseconds duration);

}  // namespace llmux::redis::testing
