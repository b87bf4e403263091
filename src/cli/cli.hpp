// Turns the command line into Options, accepting the flags LiteLLM's `litellm` command takes.
#pragma once

#include "config/config.hpp"
#include "config/load.hpp"

#include <span>
#include <string>
#include <string_view>

namespace llmux::cli {

// `llmux [options]` serves; `llmux import-litellm [options]` copies a LiteLLM database into the
// store and exits.
enum class Command { serve, import_litellm };

struct Options {
  Command command = Command::serve;
  std::string config_path;       // --config / -c; empty: the embedded examples/config.yaml
  std::string host = "0.0.0.0";  // --host
  int port = 4000;               // --port (0 = pick a free port)
  std::string port_file;         // --port_file PATH: write the bound port there (tests use it)
  std::string model;             // --model / -m provider/name: one-model quick start
  std::string api_base;          // --api_base (with --model)
  int num_workers = 0;           // --num_workers: I/O threads; 0 = the CPU count
  bool show_version = false;     // --version / -v
  bool show_help = false;        // --help / -h
  bool check_config = false;     // --check_config: load, print problems/warnings, exit
  // TLS on the listener, as LiteLLM's flags (or its SSL_CERTFILE_PATH / SSL_KEYFILE_PATH): both
  // or neither.
  std::string ssl_certfile_path;  // --ssl_certfile_path: the certificate chain (PEM)
  std::string ssl_keyfile_path;   // --ssl_keyfile_path: its private key (PEM)
  // import-litellm: LiteLLM's PostgreSQL (--database_url) and whether to copy its spend log.
  std::string litellm_database_url;
  bool import_spend_logs = false;  // --spend_logs
};

// error non-empty: the caller prints it and usage_text() and exits with status 2.
struct ParseResult {
  Options options;
  std::string error;
};

// args excludes argv[0]; a first argument `import-litellm` chooses that command, which takes its
// own flags (--database_url, --spend_logs) and --config. Long flags take `--flag value` or
// `--flag=value`, spelled with `_` or
// `-` between words (`--num_workers`, `--num-workers`); the last occurrence of a flag wins. A flag
// LiteLLM also reads from an environment variable takes its value from `env` when not given.
ParseResult parse_arguments(std::span<const std::string_view> args,
                            const config::EnvLookup& env = config::process_environment);

std::string usage_text();

// --model quick start: one entry whose model_name and litellm_params.model are the --model value
// as given, with --api_base. The master key comes from LITELLM_MASTER_KEY, as with a file.
config::Config quick_start_config(const Options& options,
                                  const config::EnvLookup& env = config::process_environment);

}  // namespace llmux::cli
