// LiteLLM's config.yaml as plain, validated, immutable structs (see config/load.hpp).
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llmux::config {

using Headers = std::vector<std::pair<std::string, std::string>>;

// `litellm_params` of one model_list entry. Strings are already resolved (os.environ/NAME).
struct LitellmParams {
  std::string model;         // "provider/name" as written, e.g. "openai/gpt-4o"
  std::string api_base;      // empty: the provider's default base URL
  std::string api_key;       // secret: never logged
  std::string api_version;   // Azure
  std::string organization;  // OpenAI-Organization header
  std::optional<double> timeout_s;         // whole call
  std::optional<double> stream_timeout_s;  // wait for the first streamed chunk
  std::optional<int> max_retries;
  std::optional<long> rpm;
  std::optional<long> tpm;
  std::optional<double> weight;
  Headers extra_headers;
  std::optional<std::string> mock_response;  // answer locally with this text, no upstream call
  // Everything else in litellm_params (e.g. temperature, max_tokens defaults): sent upstream
  // as request defaults when the client did not set them.
  boost::json::object extra;
};

struct ModelEntry {
  std::string model_name;  // what clients send as "model"
  LitellmParams params;
  boost::json::object model_info;  // as written; "id" names the deployment
  int line = 0;                    // 1-based line of the entry in the YAML file, for messages
};

struct LitellmSettings {
  bool drop_params = false;
  int num_retries = 0;
  double request_timeout_s = 600;  // LiteLLM's default
  bool set_verbose = false;
};

struct GeneralSettings {
  std::string master_key;  // empty: no auth (a loud warning at startup)
  double max_request_size_mb = 50;
  // llmux's own server limits (not in LiteLLM); each explicit and documented in the README.
  std::size_t max_header_size_kb = 64;
  double keepalive_timeout_s = 120;
  double request_read_timeout_s = 60;
  double drain_timeout_s = 30;
  std::size_t max_connections = 100000;
  // Keys and spend: sqlite path (default llmux.db beside the config) or postgresql://…;
  // env DATABASE_URL when unset.
  std::string database_url;
  double proxy_batch_write_at_s = 10;  // spend is written in one transaction this often
  bool store_prompts_in_spend_logs = false;
};

struct RouterSettings {
  std::string routing_strategy = "simple-shuffle";
  std::optional<int> num_retries;
  std::optional<double> timeout_s;
};

struct Config {
  std::string source;  // the file it came from, or "<embedded>" / "<command line>"
  std::vector<ModelEntry> model_list;
  LitellmSettings litellm_settings;
  GeneralSettings general_settings;
  RouterSettings router_settings;
  // environment_variables: exported by the app at startup, before anything reads the environment.
  std::vector<std::pair<std::string, std::string>> environment_variables;
  std::vector<std::string> warnings;  // settings accepted but not implemented yet, etc.
};

}  // namespace llmux::config
