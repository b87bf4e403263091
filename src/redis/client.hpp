// The asynchronous Redis client of one worker thread. Commands from every coroutine of the
// worker share ONE connection: what they issue in one turn of the event loop goes out in one write
// (pipelining) and the replies are matched to them in order. Failures are values:
//   - the connection breaks: every command waiting on it fails at once, and the next command dials
//     again;
//   - a command gets no reply within command_timeout: it fails as a timeout, and so does its
//     connection (a late reply would be taken for the next command's) with everything pending on
//     it;
//   - a connection attempt fails: for a backoff, commands fail at once without dialing (no storm of
//     reconnects while Redis is away).
// A Redis error reply (WRONGTYPE, NOSCRIPT, …) is not a failure: it is a Reply of Type::error.
// A Client is used from its io_context's thread only (no locks); stats() may be read anywhere.
#pragma once

#include "base/error.hpp"
#include "redis/options.hpp"
#include "redis/resp.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::redis {

namespace asio = boost::asio;

// Plain numbers for health and metrics.
struct ClientStats {
  bool connected = false;
  std::uint64_t commands = 0;          // commands written (each of a batch counts)
  std::uint64_t writes = 0;            // socket writes that carried them
  std::uint64_t failures = 0;          // calls (a batch is one) that ended with an Error
  std::uint64_t timeouts = 0;          // calls that ended as a timeout
  std::uint64_t connects = 0;          // connection attempts
  std::uint64_t connect_failures = 0;  // attempts that failed
  std::uint64_t reconnects = 0;        // successful attempts after the first
};

// A Lua script run with EVALSHA; its SHA-1 is computed here. Copies share the body.
class Script {
 public:
  explicit Script(std::string body);
  const std::string& body() const { return *body_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::shared_ptr<const std::string> body_;
  std::string sha1_;
};

class Client {
 public:
  // A TLS context is made here when options.tls (an unreadable CA file then fails every command).
  Client(asio::io_context& io, Options options);
  // Closes the connection; commands still waiting fail. Destroy a Client before its io_context.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One command: `co_await client.command({"INCRBY", key, "3"})`.
  asio::awaitable<Result<Reply>> command(Command command);
  // Several commands written together (one write, no other command between them, so MULTI … EXEC
  // inside is a transaction); one reply per command, in order. Build the vector in a named local:
  // GCC 12 cannot compile a braced list of commands inside a co_await expression.
  asio::awaitable<Result<std::vector<Reply>>> batch(std::vector<Command> commands);
  // EVALSHA, as Redis writes it: `co_await client.eval(script, 1, key, "5")` (one key, then the
  // arguments). When Redis does not know the script (NOSCRIPT: after a restart or SCRIPT FLUSH),
  // SCRIPT LOAD and EVALSHA again, in one round trip.
  template <class... Arguments>
  asio::awaitable<Result<Reply>> eval(const Script& script, std::size_t key_count,
                                      const Arguments&... keys_then_arguments) {
    return run_script(script, Command("EVALSHA", script.sha1(), std::to_string(key_count),
                                      keys_then_arguments...));
  }
  // The same with keys and arguments known at run time.
  asio::awaitable<Result<Reply>> eval(const Script& script, const std::vector<std::string>& keys,
                                      const std::vector<std::string>& arguments);

  // Fails the commands waiting and every later one; for shutdown.
  void close();
  ClientStats stats() const;
  const Options& options() const;

 private:
  asio::awaitable<Result<Reply>> run_script(const Script& script, Command evalsha);

  struct Core;
  std::shared_ptr<Core> core_;
};

}  // namespace llmux::redis
