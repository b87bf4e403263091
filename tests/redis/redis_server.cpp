#include "redis_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace llmux::redis::testing {

namespace {

using tcp = asio::ip::tcp;

std::uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

std::string make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "llmux-redis-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

void run_shell(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Sends PING on `stream` and reads one reply line: any line (PONG, or NOAUTH when a password
// is required) means the server is serving.
template <class Stream>
bool ping(Stream& stream) {
  boost::system::error_code ec;
  asio::write(stream, asio::buffer(std::string_view("*1\r\n$4\r\nPING\r\n")), ec);
  asio::streambuf reply;
  return !ec && asio::read_until(stream, reply, "\r\n", ec) > 0 && !ec;
}

}  // namespace

RedisServer::RedisServer() : RedisServer(Setup{}) {}

RedisServer::RedisServer(Setup setup) : setup_(std::move(setup)), dir_(make_temp_dir()) {
  try {
    if (setup_.tls) make_certificates();
    // Another process may take the free port before redis-server binds it: then another port.
    for (int attempt = 1;; ++attempt) {
      port_ = free_port();
      try {
        start();
        return;
      } catch (const std::exception&) {
        if (attempt == 3) throw;
      }
    }
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void RedisServer::make_certificates() const {
  // A CA, and a server certificate it signs for the name localhost (not for the address).
  const std::string ec_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  run_shell("cd '" + dir_ +
            "' && printf 'subjectAltName=DNS:localhost\\n' > san.ext && "
            "openssl req -x509 " +
            ec_key +
            " -keyout ca.key -out ca.pem -days 2 -subj /CN=llmux-test-ca 2>/dev/null && "
            "openssl req " +
            ec_key +
            " -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null && "
            "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
            "-extfile san.ext -out server.pem 2>/dev/null");
}

void RedisServer::start() {
  const std::string port = std::to_string(port_);
  std::vector<std::string> arguments{"redis-server",
                                     "--bind",
                                     "127.0.0.1",
                                     "--dir",
                                     dir_,
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--logfile",
                                     dir_ + "/redis.log",
                                     "--daemonize",
                                     "no"};
  if (setup_.tls) {
    arguments.insert(arguments.end(),
                     {"--port", "0", "--tls-port", port, "--tls-cert-file", dir_ + "/server.pem",
                      "--tls-key-file", dir_ + "/server.key", "--tls-ca-cert-file", ca_file(),
                      "--tls-auth-clients", "no"});
  } else {
    arguments.insert(arguments.end(), {"--port", port});
  }
  arguments.insert(arguments.end(), setup_.arguments.begin(), setup_.arguments.end());
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  if (posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
    pid_ = -1;
    throw std::runtime_error(
        "cannot start redis-server: install Debian's redis-server package (scripts/deps.sh)");
  }
  // Ready when it answers PING (polled, every 5 ms, for up to 10 s).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!answers_ping()) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start: " + read_file(dir_ + "/redis.log"));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill();
      throw std::runtime_error("redis-server did not answer PING: " +
                               read_file(dir_ + "/redis.log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool RedisServer::answers_ping() const {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  if (ec) return false;
  if (!setup_.tls) return ping(socket);
  asio::ssl::context context(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket&> secure(socket, context);
  secure.handshake(asio::ssl::stream_base::client, ec);
  return !ec && ping(secure);
}

void RedisServer::wait(int signal) {
  if (pid_ < 0) return;
  ::kill(pid_, signal);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void RedisServer::stop() { wait(SIGTERM); }

void RedisServer::kill() { wait(SIGKILL); }

Options RedisServer::options() const {
  Options options;
  options.host = setup_.tls ? "localhost" : "127.0.0.1";  // the name its certificate is for
  options.port = port_;
  options.tls = setup_.tls;
  if (setup_.tls) options.ca_file = ca_file();
  return options;
}

void let_time_pass(asio::io_context& io, std::chrono::milliseconds duration) {
  run(io, [duration]() -> asio::awaitable<bool> {
    asio::steady_timer timer(co_await asio::this_coro::executor, duration);
    co_await timer.async_wait(asio::use_awaitable);
    co_return true;
  }());
}

void run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::seconds limit) {
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && !io.stopped() && std::chrono::steady_clock::now() < deadline)
    io.run_one_until(deadline);
  if (!done()) throw std::runtime_error("the awaited condition did not come true in time");
}

}  // namespace llmux::redis::testing
