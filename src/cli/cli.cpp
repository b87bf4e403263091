#include "cli/cli.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

namespace llmux::cli {
namespace {

constexpr int kMaxPort = 65535;
constexpr int kMaxWorkers = 1024;

// Sets one option from the flag's value; returns what is wrong with the value, or "".
using Apply = std::string (*)(Options& options, std::string_view value);

// Which commands take a flag (a bit per Command).
constexpr unsigned kServe = 1u << static_cast<unsigned>(Command::serve);
constexpr unsigned kImport = 1u << static_cast<unsigned>(Command::import_litellm);
constexpr std::string_view kImportCommand = "import-litellm";

struct Flag {
  std::string_view name;        // long name with `_` between words
  std::string_view alias;       // another long name for the same flag (LiteLLM's), or empty
  char short_name;              // 0: none
  std::string_view value_name;  // empty: the flag takes no value
  std::string_view help;
  Apply apply;
  unsigned commands = kServe;
  std::string_view environment = {};  // LiteLLM's variable for the value when the flag is absent
};

std::string parse_int(std::string_view text, int min, int max, int& out) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return "expected a number from " + std::to_string(min) + " to " + std::to_string(max) +
           ", got \"" + std::string(text) + "\"";
  }
  out = value;
  return "";
}

// The Apply of a flag whose value is kept as written.
template <std::string Options::*kMember>
std::string set_text(Options& options, std::string_view value) {
  options.*kMember = value;
  return "";
}

const Flag kFlags[] = {
    {"config", "", 'c', "PATH", "LiteLLM config.yaml (default: the built-in example)",
     set_text<&Options::config_path>, kServe | kImport},
    {"host", "", 0, "HOST", "address to listen on (default 0.0.0.0)", set_text<&Options::host>},
    {"port", "", 0, "PORT", "port to listen on (default 4000; 0 picks a free port)",
     [](Options& options, std::string_view value) {
       return parse_int(value, 0, kMaxPort, options.port);
     }},
    {"port_file", "", 0, "PATH", "write the port actually bound to this file",
     set_text<&Options::port_file>},
    {"model", "", 'm', "MODEL", "serve one model, no config (e.g. openai/gpt-4o-mini)",
     set_text<&Options::model>},
    {"api_base", "", 0, "URL", "base URL for --model", set_text<&Options::api_base>},
    {"ssl_certfile_path", "", 0, "PATH",
     "serve HTTPS with this certificate chain (PEM; or $SSL_CERTFILE_PATH)",
     set_text<&Options::ssl_certfile_path>, kServe, "SSL_CERTFILE_PATH"},
    {"ssl_keyfile_path", "", 0, "PATH",
     "the certificate's private key (PEM, unencrypted; or $SSL_KEYFILE_PATH)",
     set_text<&Options::ssl_keyfile_path>, kServe, "SSL_KEYFILE_PATH"},
    {"num_workers", "", 0, "N", "I/O threads (default 0: one per CPU)",
     [](Options& options, std::string_view value) {
       return parse_int(value, 0, kMaxWorkers, options.num_workers);
     }},
    {"check_config", "validate_config", 0, "", "check the config and exit (also --validate_config)",
     [](Options& options, std::string_view) {
       options.check_config = true;
       return std::string();
     }},
    {"version", "", 'v', "", "print the version and exit",
     [](Options& options, std::string_view) {
       options.show_version = true;
       return std::string();
     }},
    {"help", "", 'h', "", "print this help and exit",
     [](Options& options, std::string_view) {
       options.show_help = true;
       return std::string();
     },
     kServe | kImport},
    {"database_url", "", 0, "URL", "import-litellm: LiteLLM's PostgreSQL (only read)",
     set_text<&Options::litellm_database_url>, kImport},
    {"spend_logs", "", 0, "", "import-litellm: also copy LiteLLM's spend log",
     [](Options& options, std::string_view) {
       options.import_spend_logs = true;
       return std::string();
     },
     kImport},
};

unsigned command_bit(Command command) { return 1u << static_cast<unsigned>(command); }

// `--num-workers` and `--num_workers` name the same flag.
// Flags of another command are unknown to this one.
const Flag* find_long(std::string_view written, Command command) {
  std::string name(written);
  std::replace(name.begin(), name.end(), '-', '_');
  const auto it = std::find_if(std::begin(kFlags), std::end(kFlags), [&](const Flag& flag) {
    return (flag.commands & command_bit(command)) != 0 &&
           (flag.name == name || (!flag.alias.empty() && flag.alias == name));
  });
  return it == std::end(kFlags) ? nullptr : &*it;
}

const Flag* find_short(char letter, Command command) {
  const auto it = std::find_if(std::begin(kFlags), std::end(kFlags), [&](const Flag& flag) {
    return (flag.commands & command_bit(command)) != 0 && flag.short_name == letter;
  });
  return it == std::end(kFlags) ? nullptr : &*it;
}

std::string check_combination(const Options& options) {
  if (options.command == Command::import_litellm) {
    if (options.show_help) return "";
    if (!options.litellm_database_url.starts_with("postgresql://") &&
        !options.litellm_database_url.starts_with("postgres://")) {
      return "import-litellm needs --database_url postgresql://... (LiteLLM's database)";
    }
    return "";
  }
  if (!options.model.empty() && !options.config_path.empty()) {
    return "--model and --config cannot be used together";
  }
  if (!options.api_base.empty() && options.model.empty()) return "--api_base needs --model";
  if (options.ssl_certfile_path.empty() != options.ssl_keyfile_path.empty()) {
    return options.ssl_certfile_path.empty() ? "--ssl_keyfile_path needs --ssl_certfile_path"
                                             : "--ssl_certfile_path needs --ssl_keyfile_path";
  }
  return "";
}

}  // namespace

ParseResult parse_arguments(std::span<const std::string_view> args, const config::EnvLookup& env) {
  ParseResult result;
  std::vector<const Flag*> given;
  std::size_t first = 0;
  if (!args.empty() && args.front() == kImportCommand) {
    result.options.command = Command::import_litellm;
    first = 1;
  }
  const Command command = result.options.command;
  for (std::size_t i = first; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    std::string_view written = arg;  // the flag as the user spelled it, for messages
    std::optional<std::string_view> attached;
    const Flag* flag = nullptr;
    if (arg.size() > 2 && arg.starts_with("--")) {
      const std::size_t equals = arg.find('=');
      if (equals != std::string_view::npos) {
        written = arg.substr(0, equals);
        attached = arg.substr(equals + 1);
      }
      flag = find_long(written.substr(2), command);
    } else if (arg.size() == 2 && arg[0] == '-' && arg[1] != '-') {
      flag = find_short(arg[1], command);
    } else {
      result.error = "unexpected argument \"" + std::string(arg) + "\"";
      return result;
    }
    if (flag == nullptr) {
      result.error = "unknown flag " + std::string(written);
      return result;
    }
    std::string_view value;
    if (flag->value_name.empty()) {
      if (attached) {
        result.error = std::string(written) + " takes no value";
        return result;
      }
    } else {
      if (attached) {
        value = *attached;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      }
      if (value.empty()) {
        result.error = std::string(written) + ": missing value";
        return result;
      }
    }
    if (std::string problem = flag->apply(result.options, value); !problem.empty()) {
      result.error = std::string(written) + ": " + problem;
      return result;
    }
    given.push_back(flag);
  }
  for (const Flag& flag : kFlags) {
    if (flag.environment.empty() || (flag.commands & command_bit(command)) == 0 ||
        std::find(given.begin(), given.end(), &flag) != given.end())
      continue;
    const auto value = env(std::string(flag.environment));
    if (!value || value->empty()) continue;
    if (std::string problem = flag.apply(result.options, *value); !problem.empty()) {
      result.error = std::string(flag.environment) + ": " + problem;
      return result;
    }
  }
  result.error = check_combination(result.options);
  return result;
}

std::string usage_text() {
  constexpr std::size_t kHelpColumn = 26;
  std::string text =
      "Usage: llmux [options]\n"
      "       llmux import-litellm --database_url URL [--config PATH] [--spend_logs]\n"
      "\n"
      "An OpenAI-compatible LLM gateway that reads LiteLLM's config.yaml.\n"
      "import-litellm copies a LiteLLM proxy's keys, teams, users, end users, budgets and spend\n"
      "into the database the config names (general_settings.database_url, DATABASE_URL, or\n"
      "llmux.db beside the config), then exits. Records llmux already has are left as they are.\n"
      "\n"
      "Options (--flag VALUE or --flag=VALUE; `_` and `-` between words are the same):\n";
  for (const Flag& flag : kFlags) {
    std::string left = "  ";
    left += flag.short_name != 0 ? std::string{'-', flag.short_name, ',', ' '} : "    ";
    left += "--" + std::string(flag.name);
    if (!flag.value_name.empty()) left += " " + std::string(flag.value_name);
    left.resize(std::max(left.size() + 2, kHelpColumn), ' ');
    text += left + std::string(flag.help) + "\n";
  }
  text +=
      "\n"
      "Environment: LITELLM_MASTER_KEY is the master key when the config sets none;\n"
      "os.environ/NAME in the config reads any other variable.\n";
  return text;
}

config::Config quick_start_config(const Options& options, const config::EnvLookup& env) {
  config::Config config;
  config.source = "<command line>";
  config::ModelEntry entry;
  entry.model_name = options.model;
  entry.params.model = options.model;
  entry.params.api_base = options.api_base;
  config.model_list.push_back(std::move(entry));
  config.general_settings.master_key = env(std::string(config::kMasterKeyVariable)).value_or("");
  return config;
}

}  // namespace llmux::cli
