#include "redis/client.hpp"

#include "redis/link.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/evp.h>

#include <atomic>
#include <deque>
#include <optional>

namespace llmux::redis {

namespace {

// Resumes a caller waiting for its replies: nothing (they are in place) or why they never came.
using Done = asio::any_completion_handler<void(std::optional<Error>)>;

struct Pending {
  Reply* replies = nullptr;  // in the waiting caller's frame: one, or a batch's
  std::size_t expected = 0;
  std::size_t received = 0;
  Clock::time_point deadline;
  Done done;
};

// One connection's life, from its dial to its failure, and the commands queued on it meanwhile.
struct Channel {
  std::unique_ptr<Link> link;  // null while dialing
  std::string outgoing;        // commands not written yet
  std::size_t outgoing_commands = 0;
  std::string writing;          // the bytes of the write in flight
  std::deque<Pending> pending;  // in the order written, awaiting their replies
  bool writer_running = false;
  bool failed = false;
};

}  // namespace

struct Client::Core : std::enable_shared_from_this<Core> {
  Core(asio::io_context& io, Options options)
      : io(io), options(std::move(options)), backoff(this->options) {
    if (!this->options.tls) return;
    auto context = make_tls_context(this->options);
    if (context) {
      tls = std::move(*context);
    } else {
      tls_error = context.error();
    }
  }

  asio::io_context& io;
  const Options options;
  std::shared_ptr<asio::ssl::context> tls;
  std::optional<Error> tls_error;
  std::shared_ptr<Channel> channel;  // the current connection, or none
  Backoff backoff;
  std::string last_failure;  // why the last connection attempt failed, told while in backoff
  bool ever_connected = false;
  bool closed = false;
  std::atomic<bool> connected{false};
  Counter commands, writes, failures, timeouts, connects, connect_failures, reconnects;

  // Queues `wire`, which holds `count` commands, and calls `done` when their replies are in
  // replies[0, count) or when they failed.
  void submit(std::string_view wire, Reply* replies, std::size_t count, Done done) {
    if (closed)
      return complete(std::move(done),
                      make_error(ErrorKind::unavailable, "The Redis client is closed."));
    if (tls_error) return complete(std::move(done), *tls_error);
    if (!channel) {
      if (backoff.waiting()) {
        const auto wait =
            std::chrono::ceil<std::chrono::milliseconds>(backoff.retry_at() - Clock::now());
        return complete(std::move(done), make_error(ErrorKind::unavailable,
                                                    last_failure + " No new attempt for " +
                                                        std::to_string(wait.count()) + " ms."));
      }
      channel = std::make_shared<Channel>();
      asio::co_spawn(io, dial(shared_from_this(), channel), asio::detached);
    }
    const bool was_idle = channel->pending.empty();
    channel->outgoing += wire;
    channel->outgoing_commands += count;
    channel->pending.push_back(Pending{.replies = replies,
                                       .expected = count,
                                       .deadline = Clock::now() + options.command_timeout,
                                       .done = std::move(done)});
    if (!channel->link) return;  // the dial writes what has queued meanwhile
    if (was_idle) channel->link->deadline().expires_at(channel->pending.front().deadline);
    start_writer(channel);
  }

  void complete(Done done, std::optional<Error> error) {
    if (error) {
      failures.add();
      if (error->kind == ErrorKind::timeout) timeouts.add();
    }
    // Posted, never called here: the caller resumes on its own turn, not inside this loop.
    asio::post(io, [done = std::move(done), error = std::move(error)]() mutable {
      std::move(done)(std::move(error));
    });
  }

  // Ends the connection: every command on it fails with `error`; the next command dials anew.
  // `failed` by value: it may be `channel` itself, which this resets.
  void fail(std::shared_ptr<Channel> failed, const Error& error) {
    if (failed->failed) return;
    failed->failed = true;
    if (failed->link) failed->link->close();
    if (channel == failed) {
      channel.reset();
      connected = false;
    }
    auto pending = std::move(failed->pending);
    failed->pending.clear();
    failed->outgoing.clear();
    for (Pending& call : pending) complete(std::move(call.done), error);
  }

  void close() {
    closed = true;
    if (channel) fail(channel, make_error(ErrorKind::unavailable, "The Redis client is closed."));
  }

  void start_writer(const std::shared_ptr<Channel>& target) {
    if (target->writer_running) return;
    target->writer_running = true;
    asio::co_spawn(io, write_loop(shared_from_this(), target), asio::detached);
  }

  static asio::awaitable<void> dial(std::shared_ptr<Core> core, std::shared_ptr<Channel> channel) {
    core->connects.add();
    auto link = co_await Link::open(core->options, core->tls.get());
    if (channel->failed) co_return;  // the client was closed meanwhile
    if (!link) {
      core->connect_failures.add();
      core->backoff.failed();
      core->last_failure = link.error().message;
      core->fail(channel, link.error());
      co_return;
    }
    core->backoff.succeeded();
    if (core->ever_connected) core->reconnects.add();
    core->ever_connected = true;
    core->connected = true;
    channel->link = std::move(*link);
    if (!channel->pending.empty())
      channel->link->deadline().expires_at(channel->pending.front().deadline);
    asio::co_spawn(core->io, read_loop(core, channel), asio::detached);
    if (!channel->outgoing.empty()) core->start_writer(channel);
  }

  static asio::awaitable<void> write_loop(std::shared_ptr<Core> core,
                                          std::shared_ptr<Channel> channel) {
    // Yields once first, so that every command issued in this turn of the event loop joins the
    // write.
    co_await asio::post(core->io, asio::use_awaitable);
    while (!channel->failed && !channel->outgoing.empty()) {
      channel->writing.clear();
      std::swap(channel->writing, channel->outgoing);
      core->commands.add(std::exchange(channel->outgoing_commands, 0));
      core->writes.add();
      auto written = co_await channel->link->write(channel->writing);
      if (!written) core->fail(channel, written.error());
    }
    channel->writer_running = false;
  }

  static asio::awaitable<void> read_loop(std::shared_ptr<Core> core,
                                         std::shared_ptr<Channel> channel) {
    std::vector<Reply> replies;
    while (!channel->failed) {
      replies.clear();
      auto read = co_await channel->link->read(replies);
      if (channel->failed) co_return;
      if (!read) {
        core->fail(channel, read.error());
        co_return;
      }
      for (Reply& reply : replies) {
        if (channel->pending.empty()) {
          const Error unasked =
              make_error(ErrorKind::unavailable, "Redis at " + endpoint_text(core->options) +
                                                     " sent a reply no command asked for.");
          core->fail(channel, unasked);
          co_return;
        }
        Pending& front = channel->pending.front();
        front.replies[front.received] = std::move(reply);
        if (++front.received < front.expected) continue;
        core->complete(std::move(front.done), std::nullopt);
        channel->pending.pop_front();
      }
      if (channel->pending.empty()) {
        channel->link->deadline().expires_never();
      } else {
        channel->link->deadline().expires_at(channel->pending.front().deadline);
      }
    }
  }

  // Waits until the `count` commands in `wire` have their replies in replies[0, count).
  static asio::awaitable<std::optional<Error>> exchange(std::shared_ptr<Core> core,
                                                        std::string_view wire, Reply* replies,
                                                        std::size_t count) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::optional<Error>)>(
        [core](auto done, std::string_view wire, Reply* replies, std::size_t count) {
          core->submit(wire, replies, count, Done(std::move(done)));
        },
        asio::use_awaitable, wire, replies, count);
  }

  static asio::awaitable<Result<Reply>> one(std::shared_ptr<Core> core, Command command) {
    Reply reply;
    if (auto failure = co_await exchange(core, command.wire(), &reply, 1))
      co_return std::move(*failure);
    co_return std::move(reply);
  }

  static asio::awaitable<Result<std::vector<Reply>>> many(std::shared_ptr<Core> core,
                                                          std::vector<Command> commands) {
    std::vector<Reply> replies(commands.size());
    if (commands.empty()) co_return std::move(replies);
    std::string wire;
    for (const Command& command : commands) wire += command.wire();
    if (auto failure = co_await exchange(core, wire, replies.data(), replies.size()))
      co_return std::move(*failure);
    co_return std::move(replies);
  }

  static asio::awaitable<Result<Reply>> run_script(std::shared_ptr<Core> core, Script script,
                                                   Command evalsha) {
    Reply reply;
    if (auto failure = co_await exchange(core, evalsha.wire(), &reply, 1))
      co_return std::move(*failure);
    if (!reply.is_error() || !reply.text.starts_with("NOSCRIPT")) co_return std::move(reply);
    std::vector<Reply> replies(2);
    const std::string wire = Command{"SCRIPT", "LOAD", script.body()}.wire() + evalsha.wire();
    if (auto failure = co_await exchange(core, wire, replies.data(), 2))
      co_return std::move(*failure);
    // A script Redis cannot compile: its SCRIPT LOAD error says why, the EVALSHA's only NOSCRIPT.
    co_return std::move(replies[0].is_error() ? replies[0] : replies[1]);
  }
};

Script::Script(std::string body) : body_(std::make_shared<const std::string>(std::move(body))) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(body_->data(), body_->size(), digest, &digest_size, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int at = 0; at < digest_size; ++at) {
    sha1_ += kHex[digest[at] >> 4];
    sha1_ += kHex[digest[at] & 0xf];
  }
}

Client::Client(asio::io_context& io, Options options)
    : core_(std::make_shared<Core>(io, std::move(options))) {}

Client::~Client() { core_->close(); }

asio::awaitable<Result<Reply>> Client::command(Command command) {
  return Core::one(core_, std::move(command));
}

asio::awaitable<Result<std::vector<Reply>>> Client::batch(std::vector<Command> commands) {
  return Core::many(core_, std::move(commands));
}

asio::awaitable<Result<Reply>> Client::eval(const Script& script,
                                            const std::vector<std::string>& keys,
                                            const std::vector<std::string>& arguments) {
  const std::string key_count = std::to_string(keys.size());
  std::vector<std::string_view> parts{"EVALSHA", script.sha1(), key_count};
  parts.insert(parts.end(), keys.begin(), keys.end());
  parts.insert(parts.end(), arguments.begin(), arguments.end());
  return run_script(script, Command(parts));
}

asio::awaitable<Result<Reply>> Client::run_script(const Script& script, Command evalsha) {
  return Core::run_script(core_, script, std::move(evalsha));
}

void Client::close() { core_->close(); }

ClientStats Client::stats() const {
  const Core& core = *core_;
  return ClientStats{.connected = core.connected.load(std::memory_order_relaxed),
                     .commands = core.commands.get(),
                     .writes = core.writes.get(),
                     .failures = core.failures.get(),
                     .timeouts = core.timeouts.get(),
                     .connects = core.connects.get(),
                     .connect_failures = core.connect_failures.get(),
                     .reconnects = core.reconnects.get()};
}

const Options& Client::options() const { return core_->options; }

}  // namespace llmux::redis
