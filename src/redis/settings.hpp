// The Redis settings of the config (LiteLLM's names: a url, or host / port / password / ssl …)
// as the client's options: the one place config becomes redis::Options, for every user of Redis.
#pragma once

#include "base/error.hpp"
#include "config/config.hpp"
#include "redis/options.hpp"

namespace llmux::redis {

// A url wins over the other fields, as in LiteLLM; socket timeouts apply either way. An error
// (a malformed url) never repeats the url: it may hold a password.
Result<Options> options_from(const config::RedisSettings& settings);

}  // namespace llmux::redis
