#include "mock_upstream.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <stdexcept>

extern char** environ;

namespace llmux::sdk::testing {

namespace asio = boost::asio;

MockUpstream::MockUpstream() {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::string node = LLMUX_NODE;
  std::string script = LLMUX_SOURCE_DIR "/tests/mock_upstream/server.mjs";
  std::string port_flag = "--port";
  std::string any_port = "0";
  char* argv[] = {node.data(), script.data(), port_flag.data(), any_port.data(), nullptr};
  const int spawned = posix_spawn(&pid_, node.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) {
    close(out[0]);
    pid_ = -1;
    throw std::runtime_error("cannot start node for the mock upstream");
  }
  // Its first line is "listening <port>"; a read that ends first means the mock failed to start.
  FILE* output = fdopen(out[0], "r");
  char line[128] = {};
  const bool read = std::fgets(line, sizeof line, output) != nullptr;
  std::fclose(output);
  if (!read || std::sscanf(line, "listening %d", &port_) != 1) {
    this->~MockUpstream();
    throw std::runtime_error("the mock upstream did not start");
  }
}

MockUpstream::~MockUpstream() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

boost::json::value MockUpstream::requests() const { return get("/__mock/requests"); }

boost::json::value MockUpstream::wait_for_request(std::string_view model) const {
  return get("/__mock/wait?event=received&model=" + std::string(model));
}

boost::json::value MockUpstream::wait_for_abort(std::string_view model) const {
  return get("/__mock/wait?event=aborted&model=" + std::string(model));
}

void MockUpstream::trust_service_account(std::string_view client_email,
                                         std::string_view public_key_pem,
                                         std::string_view audience) const {
  const boost::json::object account{
      {"clientEmail", client_email}, {"publicKeyPem", public_key_pem}, {"audience", audience}};
  exchange("POST", "/__mock/trust", boost::json::serialize(account));
}

boost::json::value MockUpstream::get(std::string_view target) const {
  return exchange("GET", target, "");
}

boost::json::value MockUpstream::exchange(std::string_view method, std::string_view target,
                                          std::string_view body) const {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
  const std::string request = std::string(method) + " " + std::string(target) +
                              " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                              "Content-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  asio::write(socket, asio::buffer(request));
  std::string response;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(response), ec);  // to the close
  const auto head_end = response.find("\r\n\r\n");
  if (head_end == std::string::npos) throw std::runtime_error("no answer from the mock upstream");
  return boost::json::parse(std::string_view(response).substr(head_end + 4));
}

}  // namespace llmux::sdk::testing
