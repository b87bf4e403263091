#include "config/logging_metadata.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace llmux::config {
namespace {

namespace json = boost::json;

std::optional<std::string> environment(std::string_view name) {
  if (name == "LF_SECRET") return "sk-from-env";
  return std::nullopt;
}

json::object metadata(std::string_view text) { return json::parse(text).as_object(); }

TEST(LoggingMetadata, ALangfuseEntryIsACallbackWithItsOwnCredentials) {
  const auto callbacks = logging_callbacks(metadata(R"({"logging": [
      {"callback_name": "langfuse", "callback_type": "success",
       "callback_vars": {"langfuse_public_key": "pk", "langfuse_secret_key": "os.environ/LF_SECRET",
                         "langfuse_host": "http://127.0.0.1:9/"}},
      {"callback_name": "langfuse",
       "callback_vars": {"langfuse_public_key": "pk2", "langfuse_secret_key": "sk2"}}]})"),
                                           environment);
  ASSERT_EQ(callbacks.size(), 2u);
  EXPECT_EQ(callbacks[0].kind, LoggingCallback::Kind::langfuse);
  EXPECT_EQ(callbacks[0].name, "langfuse");
  EXPECT_EQ(callbacks[0].endpoint, "http://127.0.0.1:9");
  EXPECT_EQ(callbacks[0].public_key, "pk");
  EXPECT_EQ(callbacks[0].secret_key, "sk-from-env");
  EXPECT_TRUE(callbacks[0].on_success);
  EXPECT_FALSE(callbacks[0].on_failure);
  // callback_type defaults to success_and_failure, langfuse_host to Langfuse's cloud.
  EXPECT_EQ(callbacks[1].endpoint, "https://cloud.langfuse.com");
  EXPECT_TRUE(callbacks[1].on_success && callbacks[1].on_failure);
}

TEST(LoggingMetadata, ALangfuseOtelEntryExportsSpansToTheProjectsOtlpEndpoint) {
  const auto callbacks = logging_callbacks(metadata(R"({"logging": [
      {"callback_name": "langfuse_otel", "callback_type": "failure",
       "callback_vars": {"langfuse_public_key": "pk", "langfuse_secret_key": "os.environ/LF_SECRET",
                         "langfuse_host": "http://127.0.0.1:9/"}},
      {"callback_name": "langfuse_otel",
       "callback_vars": {"langfuse_public_key": "pk2", "langfuse_secret_key": "sk2"}}]})"),
                                           environment);
  ASSERT_EQ(callbacks.size(), 2u);
  EXPECT_EQ(callbacks[0].kind, LoggingCallback::Kind::otel);
  EXPECT_EQ(callbacks[0].name, "langfuse_otel");
  EXPECT_EQ(callbacks[0].endpoint, "http://127.0.0.1:9/api/public/otel/v1/traces");
  EXPECT_EQ(callbacks[0].public_key, "pk");
  EXPECT_EQ(callbacks[0].secret_key, "sk-from-env");
  EXPECT_TRUE(callbacks[0].otel.langfuse);
  EXPECT_EQ(callbacks[0].otel.encoding, OtlpEncoding::protobuf);  // as LiteLLM's exporter sends
  EXPECT_FALSE(callbacks[0].on_success);
  EXPECT_TRUE(callbacks[0].on_failure);
  // The default host is the config's langfuse_otel's: Langfuse's US cloud.
  EXPECT_EQ(callbacks[1].endpoint, "https://us.cloud.langfuse.com/api/public/otel/v1/traces");
}

TEST(LoggingMetadata, AnUnresolvedReferenceOrAMalformedListNamesNoCallback) {
  EXPECT_TRUE(logging_callbacks(metadata(R"({"logging": [{"callback_name": "langfuse",
      "callback_vars": {"langfuse_public_key": "pk", "langfuse_secret_key": "os.environ/NOPE"}}]})"),
                                environment)
                  .empty());
  EXPECT_TRUE(
      logging_callbacks(metadata(R"({"logging": {"callback_name": "langfuse"}})"), environment)
          .empty());
  EXPECT_TRUE(logging_callbacks(metadata(R"({"team": "x"})"), environment).empty());
}

TEST(LoggingMetadata, TheCheckNamesTheEntryAndFieldNeverAValue) {
  const auto refused = check_logging_metadata(json::parse(R"([{"callback_name": "langfuse",
      "callback_vars": {"langfuse_public_key": "pk", "langfuse_secret_key": "sk-secret-77",
                        "langfuse_host": "not a url"}}])"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::invalid_request);
  EXPECT_EQ(refused.error().message,
            "metadata.logging[0]: callback_vars.langfuse_host must be an http(s) URL");
  EXPECT_FALSE(check_logging_metadata(json::parse(R"([{"callback_name": "langfuse",
      "callback_vars": {"langfuse_public_key": "pk", "langfuse_secret_key": 7}}])")));
  EXPECT_TRUE(check_logging_metadata(json::parse("[]")));
  const auto unknown = check_logging_metadata(
      json::parse(R"([{"callback_name": "langsmith", "callback_vars": {}}])"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message,
            "metadata.logging[0]: callback_name must be \"langfuse\" or \"langfuse_otel\" (the "
            "key-level callbacks llmux implements)");
}

TEST(LoggingMetadata, AnAnswerShowsHostsAndReferencesButNoSecret) {
  const json::object masked = masked_logging_metadata(metadata(R"({"owner": "a", "logging": [
      {"callback_name": "langfuse", "callback_vars": {"langfuse_public_key": "pk",
       "langfuse_secret_key": "sk-secret-77", "langfuse_host": "http://h",
       "other": "os.environ/LF_SECRET"}}]})"));
  EXPECT_EQ(masked, metadata(R"({"owner": "a", "logging": [
      {"callback_name": "langfuse", "callback_vars": {"langfuse_public_key": "[redacted]",
       "langfuse_secret_key": "[redacted]", "langfuse_host": "http://h",
       "other": "os.environ/LF_SECRET"}}]})"));
  EXPECT_EQ(masked_logging_metadata(metadata(R"({"logging": "sk-secret-77"})")),
            metadata(R"({"logging": "[redacted]"})"));
}

}  // namespace
}  // namespace llmux::config
