#include "cli/cli.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmux::cli {
namespace {

using ::testing::HasSubstr;

// The environment a parse sees: none, unless a test gives one.
ParseResult parse(std::vector<std::string_view> args,
                  std::map<std::string, std::string> environment = {}) {
  return parse_arguments(args, [&](const std::string& name) -> std::optional<std::string> {
    const auto found = environment.find(name);
    if (found == environment.end()) return std::nullopt;
    return found->second;
  });
}

TEST(ParseArguments, NoArgumentsGiveTheDefaults) {
  const ParseResult result = parse({});
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.options.config_path, "");
  EXPECT_EQ(result.options.host, "0.0.0.0");
  EXPECT_EQ(result.options.port, 4000);
  EXPECT_EQ(result.options.port_file, "");
  EXPECT_EQ(result.options.num_workers, 0);
  EXPECT_FALSE(result.options.show_version);
  EXPECT_FALSE(result.options.show_help);
  EXPECT_FALSE(result.options.check_config);
}

TEST(ParseArguments, ImportLitellmTakesItsOwnFlagsAndTheConfig) {
  const ParseResult result = parse({"import-litellm", "--database-url=postgresql://u@h/litellm",
                                    "--config", "c.yaml", "--spend_logs"});
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.options.command, Command::import_litellm);
  EXPECT_EQ(result.options.litellm_database_url, "postgresql://u@h/litellm");
  EXPECT_EQ(result.options.config_path, "c.yaml");
  EXPECT_TRUE(result.options.import_spend_logs);
  EXPECT_EQ(parse({}).options.command, Command::serve);
  EXPECT_THAT(parse({"import-litellm"}).error, HasSubstr("needs --database_url postgresql://"));
  EXPECT_THAT(parse({"import-litellm", "--database_url", "sqlite:///x.db"}).error,
              HasSubstr("needs --database_url postgresql://"));
  // Each command knows only its own flags.
  EXPECT_EQ(parse({"import-litellm", "--database_url", "postgres://h/d", "--port", "1"}).error,
            "unknown flag --port");
  EXPECT_EQ(parse({"--spend_logs"}).error, "unknown flag --spend_logs");
  EXPECT_EQ(parse({"--config", "c.yaml", "import-litellm"}).error,
            "unexpected argument \"import-litellm\"");
}

TEST(ParseArguments, AcceptsSeparateAndAttachedValues) {
  const ParseResult result = parse({"--config", "a.yaml", "--host=127.0.0.1", "--port", "0",
                                    "--port_file=/tmp/port", "--num_workers", "3"});
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.options.config_path, "a.yaml");
  EXPECT_EQ(result.options.host, "127.0.0.1");
  EXPECT_EQ(result.options.port, 0);
  EXPECT_EQ(result.options.port_file, "/tmp/port");
  EXPECT_EQ(result.options.num_workers, 3);
}

TEST(ParseArguments, AcceptsHyphenAndUnderscoreSpellings) {
  const ParseResult hyphens =
      parse({"--num-workers=2", "--port-file", "p", "--model", "openai/x", "--api-base", "u"});
  ASSERT_EQ(hyphens.error, "");
  EXPECT_EQ(hyphens.options.num_workers, 2);
  EXPECT_EQ(hyphens.options.port_file, "p");
  EXPECT_EQ(hyphens.options.api_base, "u");
  const ParseResult underscores = parse({"--num_workers", "5", "--model=m", "--api_base=b"});
  ASSERT_EQ(underscores.error, "");
  EXPECT_EQ(underscores.options.num_workers, 5);
  EXPECT_EQ(underscores.options.api_base, "b");
  EXPECT_TRUE(parse({"--check-config"}).options.check_config);
}

TEST(ParseArguments, AcceptsLitellmShortFlagsAndValidateConfig) {
  const ParseResult result = parse({"-c", "c.yaml", "-v", "-h", "--validate_config"});
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.options.config_path, "c.yaml");
  EXPECT_TRUE(result.options.show_version);
  EXPECT_TRUE(result.options.show_help);
  EXPECT_TRUE(result.options.check_config);
  EXPECT_EQ(parse({"-m", "groq/llama"}).options.model, "groq/llama");
  EXPECT_TRUE(parse({"--version"}).options.show_version);
  EXPECT_TRUE(parse({"--help"}).options.show_help);
}

TEST(ParseArguments, TheLastOccurrenceWins) {
  EXPECT_EQ(parse({"--port", "1", "--port=2"}).options.port, 2);
}

TEST(ParseArguments, UnknownFlagIsNamed) {
  EXPECT_EQ(parse({"--bogus"}).error, "unknown flag --bogus");
  EXPECT_EQ(parse({"--bogus=1"}).error, "unknown flag --bogus");
  EXPECT_EQ(parse({"-x"}).error, "unknown flag -x");
  EXPECT_EQ(parse({"serve"}).error, "unexpected argument \"serve\"");
  EXPECT_EQ(parse({"--"}).error, "unexpected argument \"--\"");
}

TEST(ParseArguments, MissingValueNamesTheFlag) {
  EXPECT_EQ(parse({"--config"}).error, "--config: missing value");
  EXPECT_EQ(parse({"--port="}).error, "--port: missing value");
  EXPECT_EQ(parse({"-c"}).error, "-c: missing value");
  EXPECT_EQ(parse({"--num-workers"}).error, "--num-workers: missing value");
}

TEST(ParseArguments, FlagsWithoutValuesRejectOne) {
  EXPECT_EQ(parse({"--version=yes"}).error, "--version takes no value");
}

TEST(ParseArguments, BadNumbersNameTheFlag) {
  EXPECT_EQ(parse({"--port", "http"}).error,
            "--port: expected a number from 0 to 65535, got \"http\"");
  EXPECT_EQ(parse({"--port=65536"}).error,
            "--port: expected a number from 0 to 65535, got \"65536\"");
  EXPECT_EQ(parse({"--port", "-1"}).error, "--port: expected a number from 0 to 65535, got \"-1\"");
  EXPECT_EQ(parse({"--port", "80x"}).error,
            "--port: expected a number from 0 to 65535, got \"80x\"");
  EXPECT_EQ(parse({"--num_workers", "-2"}).error,
            "--num_workers: expected a number from 0 to 1024, got \"-2\"");
  EXPECT_EQ(parse({"--num-workers=99999999999"}).error,
            "--num-workers: expected a number from 0 to 1024, got \"99999999999\"");
  EXPECT_EQ(parse({"--port", "65535"}).options.port, 65535);
}

TEST(ParseArguments, RejectsContradictoryCombinations) {
  EXPECT_EQ(parse({"--model", "openai/a", "--config", "c.yaml"}).error,
            "--model and --config cannot be used together");
  EXPECT_EQ(parse({"--api_base", "http://127.0.0.1:1"}).error, "--api_base needs --model");
}

TEST(ParseArguments, TakesTheTlsFilesFromFlagsOrLitellmsVariables) {
  const ParseResult flags =
      parse({"--ssl_certfile_path", "cert.pem", "--ssl-keyfile-path=key.pem"});
  ASSERT_EQ(flags.error, "");
  EXPECT_EQ(flags.options.ssl_certfile_path, "cert.pem");
  EXPECT_EQ(flags.options.ssl_keyfile_path, "key.pem");

  const ParseResult variables =
      parse({}, {{"SSL_CERTFILE_PATH", "env-cert.pem"}, {"SSL_KEYFILE_PATH", "env-key.pem"}});
  ASSERT_EQ(variables.error, "");
  EXPECT_EQ(variables.options.ssl_certfile_path, "env-cert.pem");
  EXPECT_EQ(variables.options.ssl_keyfile_path, "env-key.pem");

  // A flag wins over its variable; an empty variable is no value.
  const ParseResult both =
      parse({"--ssl_certfile_path", "cert.pem"},
            {{"SSL_CERTFILE_PATH", "env-cert.pem"}, {"SSL_KEYFILE_PATH", "env-key.pem"}});
  ASSERT_EQ(both.error, "");
  EXPECT_EQ(both.options.ssl_certfile_path, "cert.pem");
  EXPECT_EQ(both.options.ssl_keyfile_path, "env-key.pem");
  EXPECT_EQ(parse({}, {{"SSL_CERTFILE_PATH", ""}}).options.ssl_certfile_path, "");
}

TEST(ParseArguments, TlsNeedsBothTheCertificateAndTheKey) {
  EXPECT_EQ(parse({"--ssl_certfile_path", "cert.pem"}).error,
            "--ssl_certfile_path needs --ssl_keyfile_path");
  EXPECT_EQ(parse({}, {{"SSL_KEYFILE_PATH", "key.pem"}}).error,
            "--ssl_keyfile_path needs --ssl_certfile_path");
}

TEST(UsageText, ListsEveryFlag) {
  const std::string text = usage_text();
  for (std::string_view flag :
       {"-c, --config PATH", "--host HOST", "--port PORT", "--port_file PATH", "-m, --model MODEL",
        "--api_base URL", "--num_workers N", "--check_config", "--validate_config", "-v, --version",
        "-h, --help", "LITELLM_MASTER_KEY", "--ssl_certfile_path PATH", "--ssl_keyfile_path PATH",
        "SSL_CERTFILE_PATH", "SSL_KEYFILE_PATH"}) {
    EXPECT_THAT(text, HasSubstr(flag));
  }
}

TEST(QuickStartConfig, MakesOneEntryNamedAfterTheModel) {
  Options options;
  options.model = "hosted_vllm/meta-llama/Llama-3.1-8B-Instruct";
  options.api_base = "http://127.0.0.1:8000/v1";
  const config::Config config =
      quick_start_config(options, [](const std::string&) { return std::nullopt; });
  EXPECT_EQ(config.source, "<command line>");
  ASSERT_EQ(config.model_list.size(), 1u);
  EXPECT_EQ(config.model_list[0].model_name, options.model);
  EXPECT_EQ(config.model_list[0].params.model, options.model);
  EXPECT_EQ(config.model_list[0].params.api_base, options.api_base);
  EXPECT_EQ(config.general_settings.master_key, "");
  EXPECT_TRUE(config.warnings.empty());
}

TEST(QuickStartConfig, TakesTheMasterKeyFromTheEnvironment) {
  Options options;
  options.model = "openai/gpt-4o-mini";
  const config::Config config =
      quick_start_config(options, [](const std::string& name) -> std::optional<std::string> {
        if (name == "LITELLM_MASTER_KEY") return "sk-quick";
        return std::nullopt;
      });
  EXPECT_EQ(config.general_settings.master_key, "sk-quick");
}

}  // namespace
}  // namespace llmux::cli
