#include "telemetry/metrics.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmux::telemetry {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(Metrics, OutcomeClassesFollowTheStatus) {
  EXPECT_EQ(outcome_of(200), Outcome::success);
  EXPECT_EQ(outcome_of(400), Outcome::client_error);
  EXPECT_EQ(outcome_of(429), Outcome::client_error);
  EXPECT_EQ(outcome_of(499), Outcome::client_gone);
  EXPECT_EQ(outcome_of(502), Outcome::server_error);
}

TEST(Metrics, SumsEveryWorkersCounters) {
  Metrics metrics;
  WorkerMetrics& first = metrics.add_worker();
  WorkerMetrics& second = metrics.add_worker();
  first.record(Route::chat_completions, 200, true, 10, 5, 1'500'000);
  second.record(Route::chat_completions, 200, false, 3, 2, 250'000);
  second.record(Route::embeddings, 502, false, 0, 0, 1'000);
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, R"(llmux_requests_total{endpoint="chat_completions",status="2xx"} 2)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(llmux_requests_total{endpoint="embeddings",status="5xx"} 1)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(llmux_requests_total{endpoint="moderations",status="4xx"} 0)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(llmux_requests_total{endpoint="rerank",status="2xx"} 0)")) << text;
  EXPECT_TRUE(has_line(text, "llmux_streams_total 1")) << text;
  EXPECT_TRUE(has_line(text, R"(llmux_tokens_total{kind="prompt"} 13)")) << text;
  EXPECT_TRUE(has_line(text, R"(llmux_tokens_total{kind="completion"} 7)")) << text;
  EXPECT_TRUE(has_line(text, "llmux_request_duration_seconds_sum 1.751000")) << text;
  EXPECT_TRUE(has_line(text, "llmux_request_duration_seconds_count 3")) << text;
}

TEST(Metrics, CallbackNamesAreEscapedLikeAnyLabelValue) {
  Metrics metrics;
  CallbackCounters& sink = metrics.add_callback("my\"sink\\\n");
  sink.delivered = 2;
  sink.failed = 1;
  const std::string text = metrics.render();
  EXPECT_TRUE(
      has_line(text, R"(llmux_callback_payloads_delivered_total{callback_name="my\"sink\\?"} 2)"))
      << text;
  EXPECT_TRUE(has_line(
      text, R"(litellm_callback_logging_failures_metric_total{callback_name="my\"sink\\?"} 1)"))
      << text;
}

TEST(Metrics, InFlightRisesAndFallsAcrossWorkers) {
  Metrics metrics;
  WorkerMetrics& first = metrics.add_worker();
  WorkerMetrics& second = metrics.add_worker();
  first.request_started();
  first.request_started();
  second.request_started();
  EXPECT_TRUE(has_line(metrics.render(), "llmux_in_flight_requests 3"));
  // A request may finish on a worker whose own count is already zero only in sum terms; the
  // counters are modular, so the total stays exact.
  second.request_finished();
  second.request_finished();
  EXPECT_TRUE(has_line(metrics.render(), "llmux_in_flight_requests 1"));
}

TEST(Metrics, SoftBudgetCrossingsAreCountedOverWorkers) {
  Metrics metrics;
  WorkerMetrics& first = metrics.add_worker();
  WorkerMetrics& second = metrics.add_worker();
  EXPECT_TRUE(has_line(metrics.render(), "llmux_soft_budget_crossings_total 0"));
  first.soft_budget_crossed();
  second.soft_budget_crossed();
  EXPECT_TRUE(has_line(metrics.render(), "llmux_soft_budget_crossings_total 2"));
}

}  // namespace
}  // namespace llmux::telemetry
