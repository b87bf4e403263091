// Helpers shared by the provider tests: recorded fixtures and parsed requests.
#pragma once

#include "api/request.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace llmux::providers::test_support {

// A file under tests/fixtures/wire/, e.g. "openai/chat_completion.json"; throws if missing.
inline std::string read_wire_fixture(const std::string& relative) {
  const auto path = std::filesystem::path(LLMUX_FIXTURES_DIR) / "wire" / relative;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// parse_request that must succeed: tests build requests from bodies they know are valid.
inline api::Request parsed_request(api::Endpoint endpoint, std::string_view body) {
  auto result = api::parse_request(endpoint, body);
  if (!result) throw std::runtime_error("test body rejected: " + result.error().message);
  return std::move(*result);
}

}  // namespace llmux::providers::test_support
