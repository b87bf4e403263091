// What a provider test file starts with: GoogleTest and gmock, Boost.JSON, and the helpers of
// support.hpp named in llmux::providers, where the tests live.
#pragma once

#include "support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace llmux::providers {

namespace json = boost::json;
using test_support::kMaxEventBytes;
using test_support::parsed_request;
using test_support::read_wire_fixture;
using test_support::run_stream;
using test_support::streaming_chat_request;
using test_support::StreamRun;

}  // namespace llmux::providers
