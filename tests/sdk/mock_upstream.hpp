// tests/mock_upstream/server.mjs as a child process on a free loopback port, for the tests of the
// in-process library: started with the test binary's fixture, stopped (SIGTERM) with it.
#pragma once

#include <boost/json/value.hpp>

#include <sys/types.h>
#include <string>
#include <string_view>

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
  // Wait until a request for `model` (the upstream's model name) arrived, or its response was
  // abandoned by its client, and return its record (GET /__mock/wait).
  boost::json::value wait_for_request(std::string_view model) const;
  boost::json::value wait_for_abort(std::string_view model) const;
  // The mock's token endpoint (POST /token) accepts assertions signed by this key for
  // `client_email`, addressed to `audience` (the key file's token_uri).
  void trust_service_account(std::string_view client_email, std::string_view public_key_pem,
                             std::string_view audience) const;

 private:
  boost::json::value get(std::string_view target) const;
  boost::json::value exchange(std::string_view method, std::string_view target,
                              std::string_view body) const;

  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace llmux::sdk::testing
