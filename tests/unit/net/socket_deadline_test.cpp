#include "net/socket_deadline.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <chrono>

namespace llmux::net {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

// The socket is opened (a descriptor, no connection): the deadline's effect is that it closes.
struct DeadlineFixture : ::testing::Test {
  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  void SetUp() override { socket.open(asio::ip::tcp::v4()); }
  void run_for(std::chrono::milliseconds duration) {
    io.restart();
    io.run_for(duration);
  }
};

TEST_F(DeadlineFixture, ClosesTheSocketWhenItPasses) {
  SocketDeadline deadline(socket);
  deadline.expires_after(10ms);
  run_for(100ms);
  EXPECT_TRUE(deadline.passed());
  EXPECT_FALSE(socket.is_open());
}

TEST_F(DeadlineFixture, MovedLaterItWaitsForTheNewTime) {
  SocketDeadline deadline(socket);
  deadline.expires_after(20ms);
  deadline.expires_after(
      300ms);  // the timer still fires at 20 ms, sees the later time, waits again
  run_for(100ms);
  EXPECT_FALSE(deadline.passed());
  EXPECT_TRUE(socket.is_open());
  run_for(400ms);
  EXPECT_TRUE(deadline.passed());
}

TEST_F(DeadlineFixture, MovedNearerItFiresAtTheNearerTime) {
  SocketDeadline deadline(socket);
  deadline.expires_after(1h);
  deadline.expires_after(10ms);
  run_for(100ms);
  EXPECT_TRUE(deadline.passed());
}

TEST_F(DeadlineFixture, NeverAndDestructionLeaveTheSocketAlone) {
  {
    SocketDeadline deadline(socket);
    deadline.expires_after(10ms);
    deadline.expires_never();
    run_for(50ms);
    EXPECT_FALSE(deadline.passed());
    deadline.expires_after(10ms);
  }  // gone before its time: the pending wait must not touch the socket
  run_for(50ms);
  EXPECT_TRUE(socket.is_open());
}

TEST_F(DeadlineFixture, CancelLeavesNoWorkBehind) {
  SocketDeadline deadline(socket);
  deadline.expires_after(1h);
  deadline.cancel();
  const auto started = std::chrono::steady_clock::now();
  io.restart();
  io.run();  // returns at once: no timer left waiting
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_FALSE(deadline.passed());
  deadline.expires_after(10ms);  // and it can be set again
  run_for(100ms);
  EXPECT_TRUE(deadline.passed());
}

}  // namespace
}  // namespace llmux::net
