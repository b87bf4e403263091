// Connecting to a PostgreSQL server that never answers gives up instead of holding the store
// thread: a listening socket on 127.0.0.1 that completes the TCP handshake and then says nothing.
#include "store/database.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace llmux::store {
namespace {

class SilentServer {
 public:
  SilentServer() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

TEST(PostgresConnect, GivesUpOnAServerThatNeverAnswers) {
  SilentServer server;
  // The URI's connect_timeout overrides llmux's default of 5 s.
  const std::string uri =
      "postgresql://llmux@127.0.0.1:" + std::to_string(server.port()) + "/llmux?connect_timeout=2";
  const auto started = std::chrono::steady_clock::now();
  try {
    open_postgres(uri);
    FAIL() << "connected to a server that never answered";
  } catch (const DatabaseError& error) {
    EXPECT_TRUE(error.transient) << error.what();
    EXPECT_NE(std::string(error.what()).find("timeout"), std::string::npos) << error.what();
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, std::chrono::milliseconds(1500));
  EXPECT_LT(waited, std::chrono::milliseconds(4500)) << "the URI's connect_timeout was not used";
}

}  // namespace
}  // namespace llmux::store
