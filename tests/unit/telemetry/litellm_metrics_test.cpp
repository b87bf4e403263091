#include "telemetry/litellm_metrics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace llmux::telemetry {
namespace {

std::string render(const std::vector<const CallSeries*>& workers,
                   const std::vector<DeploymentState>& deployments = {}) {
  std::string out;
  render_litellm(out, workers, deployments);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

std::size_t count_lines_starting(const std::string& text, const std::string& prefix) {
  std::size_t count = 0;
  for (std::size_t at = text.find("\n" + prefix); at != std::string::npos;
       at = text.find("\n" + prefix, at + 1)) {
    ++count;
  }
  return count;
}

CallSample success(std::string_view key, double seconds) {
  return {.hashed_api_key = key,
          .route = "/chat/completions",
          .requested_model = "gpt",
          .model = "gpt-4o",
          .litellm_model_name = "openai/gpt-4o",
          .model_id = "d1",
          .api_base = "http://up",
          .api_provider = "openai",
          .prompt_tokens = 3,
          .completion_tokens = 4,
          .spend = 0.25,
          .total_seconds = seconds,
          .upstream_seconds = seconds / 2};
}

TEST(LiteLLMMetrics, ExceptionClassIsLiteLLMsWithTheProviderCapitalised) {
  EXPECT_EQ(exception_class(ErrorKind::rate_limited, "openai"), "Openai.RateLimitError");
  EXPECT_EQ(exception_class(ErrorKind::timeout, "azure"), "Azure.Timeout");
  EXPECT_EQ(exception_class(ErrorKind::unauthenticated, ""), "AuthenticationError");
}

TEST(LiteLLMMetrics, HistogramBucketsAreCumulativeAndBoundsInclusive) {
  CallSeries worker(100);
  worker.record(success("k", 0.5));  // on a bound: counted in that bucket (le)
  worker.record(success("k", 0.75));
  worker.record(success("k", 1000));  // past the last bound: only +Inf
  const std::string text = render({&worker});
  const std::string labels =
      R"(api_key_alias="None",end_user="",hashed_api_key="k",model="gpt-4o",model_id="d1",)"
      R"(requested_model="gpt",team="None",team_alias="None",user="None")";
  const std::string name = "litellm_request_total_latency_metric";
  EXPECT_TRUE(has_line(text, name + "_bucket{" + labels + R"(,le="0.25"} 0)")) << text;
  EXPECT_TRUE(has_line(text, name + "_bucket{" + labels + R"(,le="0.5"} 1)")) << text;
  EXPECT_TRUE(has_line(text, name + "_bucket{" + labels + R"(,le="1.0"} 2)")) << text;
  EXPECT_TRUE(has_line(text, name + "_bucket{" + labels + R"(,le="600.0"} 2)")) << text;
  EXPECT_TRUE(has_line(text, name + "_bucket{" + labels + R"(,le="+Inf"} 3)")) << text;
  EXPECT_TRUE(has_line(text, name + "_count{" + labels + "} 3")) << text;
  EXPECT_TRUE(has_line(text, name + "_sum{" + labels + "} 1001.25")) << text;
}

TEST(LiteLLMMetrics, WorkersAreSummedPerLabelSet) {
  CallSeries first(100);
  CallSeries second(100);
  first.record(success("k", 0.1));
  second.record(success("k", 0.1));
  second.record(success("other", 0.1));
  const std::string text = render({&first, &second});
  EXPECT_TRUE(has_line(text,
                       R"(litellm_input_tokens_metric_total{api_key_alias="None",end_user="",)"
                       R"(hashed_api_key="k",model="gpt-4o",model_id="d1",requested_model="gpt",)"
                       R"(team="None",team_alias="None",user="None",user_email="None"} 6)"))
      << text;
  EXPECT_EQ(count_lines_starting(text, "litellm_spend_metric_total{"), 2u) << text;
}

TEST(LiteLLMMetrics, LabelSetsPastTheCapShareOneOverflowSeries) {
  CallSeries worker(2);
  for (const char* key : {"a", "b", "c", "d", "e"}) worker.record(success(key, 0.1));
  const std::string text = render({&worker});
  EXPECT_EQ(count_lines_starting(text, "litellm_proxy_total_requests_metric_total{"), 3u) << text;
  EXPECT_NE(text.find(R"(hashed_api_key="overflow")"), std::string::npos) << text;
  EXPECT_EQ(text.find(R"(hashed_api_key="e")"), std::string::npos) << text;
  EXPECT_TRUE(has_line(
      text,
      R"(litellm_proxy_total_requests_metric_total{api_key_alias="overflow",client_ip="overflow",)"
      R"(end_user="overflow",hashed_api_key="overflow",model_id="overflow",)"
      R"(requested_model="overflow",route="overflow",status_code="200",team="overflow",)"
      R"(team_alias="overflow",user="overflow",user_agent="overflow",user_email="overflow"} 3)"))
      << text;
}

TEST(LiteLLMMetrics, FailuresCarryTheirStatusAndClassAndNoSpend) {
  CallSeries worker(100);
  CallSample failed = success("k", 0.1);
  failed.status = 429;
  failed.exception_class = "Openai.RateLimitError";
  failed.spend = 0;
  worker.record(failed);
  const std::string text = render({&worker});
  EXPECT_NE(text.find(R"(exception_class="Openai.RateLimitError",exception_status="429")"),
            std::string::npos)
      << text;
  EXPECT_EQ(count_lines_starting(text, "litellm_spend_metric_total{"), 0u) << text;
  EXPECT_EQ(count_lines_starting(text, "litellm_deployment_failure_responses_total{"), 1u);
  EXPECT_EQ(count_lines_starting(text, "litellm_deployment_success_responses_total{"), 0u);
}

TEST(LiteLLMMetrics, LabelValuesAreEscapedAndKeptPrintable) {
  CallSeries worker(100);
  CallSample sample = success("k", 0.1);
  sample.user_agent = "a\"b\\c\nd\xc3\xa9";
  worker.record(sample);
  const std::string text = render({&worker});
  EXPECT_NE(text.find(R"(user_agent="a\"b\\c?d??")"), std::string::npos) << text;
}

TEST(LiteLLMMetrics, DeploymentStateIsOneGaugePerDeployment) {
  const std::string text = render({}, {{.litellm_model_name = "openai/gpt-4o",
                                        .model_id = "d1",
                                        .api_base = "http://up",
                                        .api_provider = "openai",
                                        .state = 2}});
  EXPECT_TRUE(has_line(text, R"(litellm_deployment_state{api_base="http://up",)"
                             R"(api_provider="openai",litellm_model_name="openai/gpt-4o",)"
                             R"(model_id="d1"} 2)"))
      << text;
}

TEST(LiteLLMMetrics, CooldownsAreCountedPerDeploymentAndStatusOverWorkers) {
  CallSeries first(100), second(100);
  const CooldownSample limited{.litellm_model_name = "openai/gpt-4o",
                               .model_id = "d1",
                               .api_base = "http://up",
                               .api_provider = "openai",
                               .status = 429};
  first.record_cooldown(limited);
  second.record_cooldown(limited);
  CooldownSample failing = limited;
  failing.status = 500;
  second.record_cooldown(failing);
  const std::string text = render({&first, &second});
  const std::string labels = R"(api_base="http://up",api_provider="openai",)";
  EXPECT_TRUE(has_line(text, "# TYPE litellm_deployment_cooled_down_total counter")) << text;
  EXPECT_TRUE(has_line(text, "litellm_deployment_cooled_down_total{" + labels +
                                 R"(exception_status="429",litellm_model_name="openai/gpt-4o",)"
                                 R"(model_id="d1"} 2)"))
      << text;
  EXPECT_TRUE(has_line(text, "litellm_deployment_cooled_down_total{" + labels +
                                 R"(exception_status="500",litellm_model_name="openai/gpt-4o",)"
                                 R"(model_id="d1"} 1)"))
      << text;
  // Cooldowns are not calls: no request series came of them.
  EXPECT_EQ(count_lines_starting(text, "litellm_proxy_total_requests_metric_total{"), 0u);
}

TEST(LiteLLMMetrics, RetriedAttemptsAreCountedOnlyByTheDeploymentCounters) {
  CallSeries worker(100);
  worker.record(success("k", 0.1));
  CallSample failed = success("k", 0.1);
  failed.model_id = "d0";
  failed.status = 500;
  failed.exception_class = "Openai.InternalServerError";
  worker.record_retried_attempt(failed);
  const std::string text = render({&worker});
  EXPECT_EQ(count_lines_starting(text, "litellm_proxy_total_requests_metric_total{"), 1u) << text;
  EXPECT_EQ(count_lines_starting(text, "litellm_proxy_failed_requests_metric_total{"), 0u) << text;
  EXPECT_EQ(count_lines_starting(text, "litellm_deployment_total_requests_total{"), 2u) << text;
  EXPECT_EQ(count_lines_starting(text, "litellm_deployment_success_responses_total{"), 1u) << text;
  EXPECT_NE(text.find(R"(litellm_deployment_failure_responses_total{api_base="http://up",)"
                      R"(api_key_alias="None",api_provider="openai",client_ip="None",)"
                      R"(exception_class="Openai.InternalServerError",exception_status="500",)"
                      R"(hashed_api_key="k",litellm_model_name="openai/gpt-4o",model_id="d0",)"),
            std::string::npos)
      << text;
}

TEST(LiteLLMMetrics, RemainingLimitsAreTheLatestFiguresOfAnyWorker) {
  CallSeries first(100), second(100);
  CallSample older = success("k", 0.1);
  older.remaining_requests = 5;
  older.remaining_tokens = 50;
  first.record(older);
  CallSample newer = success("k", 0.1);
  newer.user_agent = "another";  // another series, the same deployment and key
  newer.remaining_requests = 4;
  second.record(newer);
  second.record(success("k", 0.1));  // an answer without the fields changes nothing
  const std::string labels =
      R"({api_base="http://up",api_key_alias="None",api_provider="openai",hashed_api_key="k",)"
      R"(litellm_model_name="openai/gpt-4o",model_group="gpt",model_id="d1"})";
  for (const auto& text : {render({&first, &second}), render({&second, &first})}) {
    EXPECT_TRUE(has_line(text, "# TYPE litellm_remaining_requests gauge")) << text;
    EXPECT_TRUE(has_line(text, "litellm_remaining_requests" + labels + " 4")) << text;
    // The newer answer had no tokens field: the older one's figure stays.
    EXPECT_TRUE(has_line(text, "litellm_remaining_tokens" + labels + " 50")) << text;
  }
  CallSeries silent(100);
  silent.record(success("k", 0.1));
  EXPECT_EQ(count_lines_starting(render({&silent}), "litellm_remaining_requests{"), 0u);
}

TEST(LiteLLMMetrics, BudgetGaugesShowTheLatestWriteOfAnyWorker) {
  CallSeries first(100), second(100);
  using Owner = BudgetSample::Owner;
  first.record_budget(
      {.owner = Owner::key, .id = "h1", .alias = "ci", .max_budget = 10, .spend = 1});
  second.record_budget(
      {.owner = Owner::key, .id = "h1", .alias = "ci", .max_budget = 10, .spend = 2.5});
  first.record_budget(
      {.owner = Owner::team, .id = "t1", .max_budget = 4, .spend = 5, .hours_to_reset = 1.5});
  const std::string text = render({&first, &second});
  EXPECT_TRUE(has_line(text, "# TYPE litellm_remaining_api_key_budget_metric gauge")) << text;
  EXPECT_TRUE(has_line(
      text,
      R"(litellm_remaining_api_key_budget_metric{api_key_alias="ci",hashed_api_key="h1"} 7.5)"))
      << text;
  EXPECT_TRUE(has_line(
      text, R"(litellm_api_key_max_budget_metric{api_key_alias="ci",hashed_api_key="h1"} 10)"))
      << text;
  // Spent past its budget: the gauge goes below zero, as max_budget - spend does.
  EXPECT_TRUE(
      has_line(text, R"(litellm_remaining_team_budget_metric{team="t1",team_alias="None"} -1)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(litellm_team_max_budget_metric{team="t1",team_alias="None"} 4)"))
      << text;
  EXPECT_TRUE(has_line(
      text, R"(litellm_team_budget_remaining_hours_metric{team="t1",team_alias="None"} 1.5)"))
      << text;
  // A budget without a reset has no hours.
  EXPECT_EQ(count_lines_starting(text, "litellm_api_key_budget_remaining_hours_metric{"), 0u);
  // The first worker writes last: its figure wins.
  first.record_budget(
      {.owner = Owner::key, .id = "h1", .alias = "ci", .max_budget = 10, .spend = 3});
  EXPECT_TRUE(has_line(
      render({&first, &second}),
      R"(litellm_remaining_api_key_budget_metric{api_key_alias="ci",hashed_api_key="h1"} 7)"));
}

TEST(LiteLLMMetrics, BudgetGaugesPastTheCapKeepNoNewLabelSet) {
  CallSeries worker(2);
  for (const char* id : {"a", "b", "c"})
    worker.record_budget({.id = id, .max_budget = 1, .spend = 0});
  const std::string text = render({&worker});
  EXPECT_EQ(count_lines_starting(text, "litellm_remaining_api_key_budget_metric{"), 2u) << text;
  EXPECT_EQ(text.find(R"(hashed_api_key="c")"), std::string::npos) << text;
}

FallbackSample fallback(std::string_view key, bool succeeded) {
  return {.requested_model = "primary",
          .fallback_model = "backup",
          .hashed_api_key = key,
          .team = "t1",
          .exception_status = 500,
          .exception_class = "Openai.InternalServerError",
          .succeeded = succeeded};
}

TEST(LiteLLMMetrics, FallbacksAreCountedBySuccessWithLiteLLMsLabels) {
  CallSeries first(100), second(100);
  first.record_fallback(fallback("k", true));
  second.record_fallback(fallback("k", true));
  second.record_fallback(fallback("k", false));
  const std::string text = render({&first, &second});
  const std::string labels =
      R"({api_key_alias="None",exception_class="Openai.InternalServerError",)"
      R"(exception_status="500",fallback_model="backup",hashed_api_key="k",model_id="None",)"
      R"(requested_model="primary",team="t1",team_alias="None"})";
  EXPECT_TRUE(has_line(text, "# TYPE litellm_deployment_successful_fallbacks_total counter"))
      << text;
  EXPECT_TRUE(has_line(text, "litellm_deployment_successful_fallbacks_total" + labels + " 2"))
      << text;
  EXPECT_TRUE(has_line(text, "litellm_deployment_failed_fallbacks_total" + labels + " 1")) << text;
}

TEST(LiteLLMMetrics, FallbackLabelSetsPastTheCapShareOneOverflowSeries) {
  CallSeries worker(1);
  for (const char* key : {"a", "b", "c"}) worker.record_fallback(fallback(key, false));
  const std::string text = render({&worker});
  EXPECT_EQ(count_lines_starting(text, "litellm_deployment_failed_fallbacks_total{"), 2u) << text;
  EXPECT_TRUE(has_line(text,
                       R"(litellm_deployment_failed_fallbacks_total{api_key_alias="overflow",)"
                       R"(exception_class="Openai.InternalServerError",exception_status="500",)"
                       R"(fallback_model="overflow",hashed_api_key="overflow",model_id="overflow",)"
                       R"(requested_model="overflow",team="overflow",team_alias="overflow"} 2)"))
      << text;
}

}  // namespace
}  // namespace llmux::telemetry
