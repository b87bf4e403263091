// tests/mock_upstream/server.mjs as a child process on a free loopback port, for the tests of the
// in-process library: started with the test binary's fixture, stopped (SIGTERM) with it.
#pragma once

#include <boost/json/value.hpp>

#include <sys/types.h>
#include <string>

namespace llmux::sdk::testing {

class MockUpstream {
 public:
  MockUpstream();  // waits until the mock prints the port it listens on
  ~MockUpstream();
  MockUpstream(const MockUpstream&) = delete;
  MockUpstream& operator=(const MockUpstream&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // GET /__mock/requests: { requests, aborted }.
  boost::json::value requests() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace llmux::sdk::testing
