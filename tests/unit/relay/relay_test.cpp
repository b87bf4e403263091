// The relay against a scripted transport, a manual clock and an in-memory sink: retries,
// backoff, fallbacks, the first-frame rule, in-band errors, a client that leaves, the deadline
// across attempts, and what becomes of the upstream connection at the end of a call.
#include "relay/relay.hpp"

#include "router/model_table.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <functional>

namespace llmux::relay {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Clock::TimePoint kStart = Clock::TimePoint(std::chrono::hours(1000));

// Time moves only when the relay waits or a scripted call says it took long.
class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  asio::awaitable<void> wait(Duration duration) override {
    waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(duration));
    now_ += duration;
    co_return;
  }
  void cancel() override { ++cancels; }
  void advance(Duration duration) { now_ += duration; }

  std::vector<std::chrono::milliseconds> waits;
  int cancels = 0;

 private:
  TimePoint now_ = kStart;
};

// One scripted upstream answer.
struct Answer {
  std::optional<Error> transport_error;  // the call fails before any answer
  int status = 200;
  std::vector<std::string> pieces;  // the body, as it arrives (whole for a non-streamed call)
  std::optional<std::chrono::seconds> retry_after;
  Clock::Duration takes{};    // the clock moves this much during the call
  bool stall_at_end = false;  // after the pieces, waits until the call is aborted
};

struct TransportLog {
  std::vector<upstream::Call> calls;
  int returned = 0;   // streams read to their end: the connection goes back to the pool
  int abandoned = 0;  // streams dropped before their end: the connection is closed
  int aborted = 0;    // calls the relay aborted (the client left)
};

class ScriptedStream final : public upstream::ResponseStream {
 public:
  ScriptedStream(Answer answer, TransportLog& log, upstream::AbortHandle& abort,
                 asio::any_io_executor executor)
      : answer_(std::move(answer)), log_(log), abort_(abort), stall_(std::move(executor)) {
    abort_.set_action([this] {
      ++log_.aborted;
      stall_.cancel();
    });
  }
  ~ScriptedStream() override {
    abort_.set_action(nullptr);
    ++(ended_ ? log_.returned : log_.abandoned);
  }
  int status() const override { return answer_.status; }
  std::optional<std::chrono::seconds> retry_after() const override { return answer_.retry_after; }
  asio::awaitable<Result<std::optional<std::string_view>>> next() override {
    if (next_ < answer_.pieces.size())
      co_return std::optional<std::string_view>(answer_.pieces[next_++]);
    if (answer_.stall_at_end) {
      stall_.expires_after(std::chrono::hours(1));
      co_await stall_.async_wait(asio::as_tuple(asio::use_awaitable));
      co_return make_error(ErrorKind::upstream_failed, "The call was abandoned.");
    }
    ended_ = true;
    co_return std::optional<std::string_view>();
  }

 private:
  Answer answer_;
  TransportLog& log_;
  upstream::AbortHandle& abort_;
  asio::steady_timer stall_;
  std::size_t next_ = 0;
  bool ended_ = false;
};

class ScriptedTransport final : public upstream::Transport {
 public:
  ScriptedTransport(ManualClock& clock, std::deque<Answer> script)
      : clock_(clock), script_(std::move(script)) {}

  asio::awaitable<Result<upstream::Response>> send(upstream::Call call,
                                                   upstream::AbortHandle& abort) override {
    Answer answer = take(std::move(call));
    if (answer.transport_error) co_return *answer.transport_error;
    std::string body;
    for (const auto& piece : answer.pieces) body += piece;
    (void)abort;
    co_return upstream::Response{
        .status = answer.status, .body = std::move(body), .retry_after = answer.retry_after};
  }

  asio::awaitable<Result<std::unique_ptr<upstream::ResponseStream>>> open_stream(
      upstream::Call call, upstream::AbortHandle& abort) override {
    Answer answer = take(std::move(call));
    if (answer.transport_error) co_return *answer.transport_error;
    auto executor = co_await asio::this_coro::executor;
    co_return std::unique_ptr<upstream::ResponseStream>(
        std::make_unique<ScriptedStream>(std::move(answer), log, abort, executor));
  }

  TransportLog log;

 private:
  Answer take(upstream::Call call) {
    log.calls.push_back(std::move(call));
    EXPECT_FALSE(script_.empty()) << "more calls than scripted answers";
    Answer answer = script_.empty() ? Answer{.status = 599} : std::move(script_.front());
    if (!script_.empty()) script_.pop_front();
    clock_.advance(answer.takes);
    return answer;
  }

  ManualClock& clock_;
  std::deque<Answer> script_;
};

// What reached the client.
class MemorySink final : public Sink {
 public:
  asio::awaitable<void> answer(std::string body) override {
    answered = std::move(body);
    co_return;
  }
  asio::awaitable<bool> stream(std::string_view frames, bool last) override {
    if (leave_at_frame && frames_.size() + 1 == *leave_at_frame) {
      left = true;
      if (on_leave) on_leave();
      co_return false;
    }
    frames_.emplace_back(frames);
    ended = last;
    co_return true;
  }
  void stream_completed() override { completed = true; }
  asio::awaitable<void> stream_failed(const Error& error) override {
    in_band = error;
    co_return;
  }
  bool started() const override { return !frames_.empty() || answered.has_value(); }
  bool client_left() const override { return left; }
  void watch_client(std::function<void()> leave) override { on_leave = std::move(leave); }

  const std::vector<std::string>& frames() const { return frames_; }

  std::optional<std::size_t>
      leave_at_frame;  // the client leaves instead of taking this frame (1-based)
  std::optional<std::string> answered;
  std::optional<Error> in_band;
  bool ended = false;
  bool completed = false;
  bool left = false;
  std::function<void()> on_leave;

 private:
  std::vector<std::string> frames_;
};

config::ModelEntry entry(std::string group, std::string id, double timeout_s = 30) {
  config::ModelEntry result{.model_name = std::move(group)};
  result.params.model = "openai/up-" + id;
  result.params.api_base = "http://127.0.0.1:9/v1";
  result.params.api_key = "sk-operator-" + id + "-secret";
  result.params.timeout_s = timeout_s;
  result.model_info["id"] = id;
  return result;
}

constexpr std::string_view kAnswer =
    R"({"id":"c1","object":"chat.completion","created":1,"model":"up","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})";
constexpr std::string_view kChunk =
    R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})"
    "\n\n";
constexpr std::string_view kFinish =
    R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"
    "\n\n";
constexpr std::string_view kUsage =
    R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})"
    "\n\n";
constexpr std::string_view kDone = "data: [DONE]\n\n";

config::ModelEntry anthropic_entry(std::string group, std::string id) {
  config::ModelEntry result = entry(std::move(group), id);
  result.params.model = "anthropic/up-" + id;
  result.params.api_base = "http://127.0.0.1:9";
  return result;
}

constexpr std::string_view kMessage =
    R"({"id":"msg_1","type":"message","role":"assistant","model":"up-a","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":4,"output_tokens":2}})";

Answer fails(int status, std::optional<std::chrono::seconds> retry_after = std::nullopt) {
  return Answer{.status = status,
                .pieces = {R"({"error":{"message":"scripted )" + std::to_string(status) +
                           R"(","type":"server_error","param":null,"code":null}})"},
                .retry_after = retry_after};
}

Answer answers() { return Answer{.pieces = {std::string(kAnswer)}}; }
Answer streams() {
  return Answer{.pieces = {std::string(kChunk), std::string(kFinish),
                           std::string(kUsage) + std::string(kDone)}};
}

// A table, a policy and a health state, and one request run through the relay.
struct Fixture {
  explicit Fixture(std::vector<config::ModelEntry> entries) {
    std::vector<std::string> warnings;
    table = router::ModelTable::build(
        config::Config{.source = "test", .model_list = std::move(entries)}, warnings);
    health = std::make_unique<router::InMemoryHealth>(
        table.deployment_count(), router::CooldownPolicy{.allowed_fails = 3, .cooldown_time = 5s});
  }

  End run(std::deque<Answer> script, bool stream, router::RequestOptions options = {},
          std::string group = "g") {
    body = R"({"model":")" + group + R"(","messages":[{"role":"user","content":"hi"}])" +
           (stream ? R"(,"stream":true})" : "}");
    auto request = api::parse_request(api::Endpoint::chat_completions, body);
    EXPECT_TRUE(request);
    return relay(*request, std::move(script), std::move(options), std::move(group));
  }

  // A Messages API call as its dialect hands it to the relay: a chat completion carrying the
  // client's own request.
  End run_messages(std::deque<Answer> script, bool stream, router::RequestOptions options = {}) {
    body = R"({"model":"g","max_tokens":9,"top_k":3,"messages":[{"role":"user","content":"hi"}])" +
           std::string(stream ? R"(,"stream":true})" : "}");
    auto client = api::parse_request(api::Endpoint::messages, body);
    EXPECT_TRUE(client);
    json::object chat{{"model", "g"},
                      {"max_tokens", 9},
                      {"messages", json::array{json::object{{"role", "user"}, {"content", "hi"}}}}};
    if (stream) chat["stream"] = true;
    api::Request request = api::request_from_body(api::Endpoint::chat_completions, chat);
    request.native = &*client;
    return relay(request, std::move(script), std::move(options), "g");
  }

  // A Responses API call as its dialect hands it to the relay: a chat completion carrying the
  // call as an OpenAI deployment is sent it, and what the chat form had to leave out, if anything.
  End run_responses(std::deque<Answer> script, std::optional<Error> left_out = std::nullopt) {
    body = R"({"model":"g","input":"hi","include":["reasoning.encrypted_content"]})";
    auto client = api::parse_request(api::Endpoint::responses, body);
    EXPECT_TRUE(client);
    native = std::move(*client);
    json::object chat{{"model", "g"},
                      {"messages", json::array{json::object{{"role", "user"}, {"content", "hi"}}}}};
    api::Request request = api::request_from_body(api::Endpoint::chat_completions, chat);
    request.native = &*native;
    request.left_out_of_chat = std::move(left_out);
    return relay(request, std::move(script), {}, "g");
  }

  End relay(const api::Request& request, std::deque<Answer> script, router::RequestOptions options,
            std::string group) {
    transport = std::make_unique<ScriptedTransport>(clock, std::move(script));
    router::AttemptPlan plan(
        table, policy, *health, [] { return 0.0; }, group, group, std::move(options), clock.now());
    Relay relay(*transport, {}, claims);
    std::optional<DeploymentClaims::Claim> first_claim;
    if (admission) first_claim = admission(plan);
    End end;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          end = co_await relay.run(request, plan, sink, clock, "sk-client-key-0123", outcome,
                                   traceparent, std::move(first_claim));
        },
        asio::detached);
    io.run();
    return end;
  }

  std::vector<std::string> deployments_called() const {
    std::vector<std::string> ids;
    for (const auto& call : transport->log.calls) {
      const auto at = call.body.find("\"up-");
      ids.push_back(call.body.substr(at + 4, call.body.find('"', at + 1) - at - 4));
    }
    return ids;
  }

  // One probe of the group's deployment at `index`.
  std::optional<Error> probe(std::deque<Answer> script, std::size_t index) {
    transport = std::make_unique<ScriptedTransport>(clock, std::move(script));
    auto request = api::request_from_body(
        api::Endpoint::chat_completions,
        json::object{{"model", "g"},
                     {"messages", json::array{json::object{{"role", "user"}, {"content", "hi"}}}},
                     {"max_tokens", 16}});
    Relay relay(*transport);
    std::optional<Error> failure;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          failure = co_await relay.probe(request, table.group("g")->at(index), 7s, clock);
        },
        asio::detached);
    io.run();
    return failure;
  }

  router::ModelTable table;
  router::RouterPolicy policy;
  std::unique_ptr<router::InMemoryHealth> health;
  DeploymentClaims* claims = nullptr;
  // A fleet's admission before the relay: the claim it made of the plan's first attempt.
  std::function<std::optional<DeploymentClaims::Claim>(router::AttemptPlan&)> admission;
  ManualClock clock;
  std::unique_ptr<ScriptedTransport> transport;
  MemorySink sink;
  Outcome outcome;
  std::string body;
  std::optional<api::Request> native;  // a dialect's call, as it is
  std::string traceparent;             // what the call's attempts carry ("" for none)
};

TEST(Relay, RetriesA5xxAndA429ButNotA4xx) {
  Fixture f({entry("g", "a"), entry("g", "b"), entry("g", "c")});
  f.policy.num_retries = 3;
  const End end = f.run({fails(500), fails(429), answers()}, false);
  EXPECT_TRUE(end.answered);
  EXPECT_THAT(f.deployments_called(), ElementsAre("a", "b", "c"));
  ASSERT_TRUE(f.sink.answered);
  EXPECT_THAT(*f.sink.answered, HasSubstr(R"("model":"g")"));
  EXPECT_EQ(f.outcome.status, 200);
  EXPECT_EQ(f.outcome.retries, 2);
  EXPECT_EQ(f.outcome.deployment->id, "c");
  EXPECT_EQ(f.outcome.usage.total_tokens, 5);

  Fixture bad({entry("g", "a"), entry("g", "b")});
  bad.policy.num_retries = 3;
  const End refused = bad.run({fails(400)}, false);
  EXPECT_FALSE(refused.answered);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(http_status(*refused.error), 400);
  EXPECT_EQ(refused.error->message, "scripted 400");
  EXPECT_EQ(bad.transport->log.calls.size(), 1u);
  EXPECT_FALSE(bad.sink.started());
}

// A fleet's deployment counts in which the deployments named `full` are at their rpm.
struct ScriptedClaims final : DeploymentClaims {
  std::vector<std::string> full;
  std::vector<std::string> claimed;
  std::vector<std::pair<std::string, std::int64_t>> tokens;
  asio::awaitable<Claim> claim(const router::Deployment& chosen,
                               std::span<const router::Deployment* const> group) override {
    const auto is_full = [this](const router::Deployment& deployment) {
      return std::find(full.begin(), full.end(), deployment.id) != full.end();
    };
    if (!is_full(chosen)) claimed.push_back(chosen.id);
    Claim claim{.verdict = is_full(chosen) ? Claim::Verdict::full : Claim::Verdict::claimed,
                .window_left = 30s};
    for (const router::Deployment* deployment : group)
      claim.group.push_back({.requests = is_full(*deployment) ? 2 : 0});
    co_return claim;
  }
  void add_tokens(const router::Deployment& deployment, std::int64_t count) override {
    tokens.emplace_back(deployment.id, count);
  }
};

TEST(Relay, UnderUsageBasedRoutingADeploymentTheFleetFoundFullIsPassedOver) {
  auto a = entry("g", "a");
  auto b = entry("g", "b");
  a.params.rpm = b.params.rpm = 2;
  Fixture f({a, b});
  f.policy.strategy = router::Strategy::usage_based;
  ScriptedClaims claims;
  claims.full = {"a"};
  f.claims = &claims;
  const End end = f.run({answers()}, false);
  EXPECT_TRUE(end.answered);
  EXPECT_THAT(f.deployments_called(), ElementsAre("b"));
  EXPECT_EQ(f.outcome.retries, 0);
  EXPECT_THAT(claims.claimed, ElementsAre("b"));
  const std::vector<std::pair<std::string, std::int64_t>> tokens{{"b", 5}};
  EXPECT_EQ(claims.tokens, tokens);

  claims.full = {"a", "b"};
  const End refused = f.run({answers()}, false);
  EXPECT_FALSE(refused.answered);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(http_status(*refused.error), 429);
  EXPECT_TRUE(f.transport->log.calls.empty());

  Fixture shuffled({a, b});  // other strategies never ask the fleet
  shuffled.claims = &claims;
  claims.full.clear();
  EXPECT_TRUE(shuffled.run({answers()}, false).answered);
  EXPECT_THAT(claims.claimed, ElementsAre("b"));
}

// A fleet's admission that claimed the plan's first attempt with the verdict given.
void admit_claiming(Fixture& f, DeploymentClaims::Claim::Verdict verdict,
                    std::vector<std::string>& chosen_first) {
  f.admission = [&f, verdict, &chosen_first](router::AttemptPlan& plan) {
    const router::Attempt* first = plan.choose_first(f.clock.now());
    EXPECT_NE(first, nullptr);
    if (first) chosen_first.push_back(first->deployment->id);
    return DeploymentClaims::Claim{.verdict = verdict,
                                   .group = {DeploymentClaims::Usage{}, DeploymentClaims::Usage{}},
                                   .window_left = 30s};
  };
}

TEST(Relay, TheFirstAttemptClaimedWithTheAdmissionIsNotClaimedAgain) {
  auto a = entry("g", "a");
  auto b = entry("g", "b");
  a.params.rpm = b.params.rpm = 2;
  Fixture f({a, b});
  f.policy.strategy = router::Strategy::usage_based;
  ScriptedClaims claims;
  f.claims = &claims;
  std::vector<std::string> chosen_first;
  admit_claiming(f, DeploymentClaims::Claim::Verdict::claimed, chosen_first);
  EXPECT_TRUE(f.run({answers()}, false).answered);
  EXPECT_THAT(chosen_first, ElementsAre("a"));
  EXPECT_THAT(f.deployments_called(), ElementsAre("a"));
  EXPECT_TRUE(claims.claimed.empty()) << "claimed again";
  const std::vector<std::pair<std::string, std::int64_t>> tokens{{"a", 5}};
  EXPECT_EQ(claims.tokens, tokens);

  // The admission found it full: the next deployment is claimed as any attempt's.
  Fixture full({a, b});
  full.policy.strategy = router::Strategy::usage_based;
  full.claims = &claims;
  admit_claiming(full, DeploymentClaims::Claim::Verdict::full, chosen_first);
  EXPECT_TRUE(full.run({answers()}, false).answered);
  EXPECT_THAT(chosen_first, ElementsAre("a", "a"));
  EXPECT_THAT(full.deployments_called(), ElementsAre("b"));
  EXPECT_EQ(full.outcome.retries, 0);
  EXPECT_THAT(claims.claimed, ElementsAre("b"));
}

// Redis away: the claim comes back without the fleet's count, after `meanwhile` (another call of
// the deployment starting on this process while the claim was out).
struct UnansweredClaims final : DeploymentClaims {
  std::function<void()> meanwhile;
  asio::awaitable<Claim> claim(const router::Deployment&,
                               std::span<const router::Deployment* const>) override {
    if (meanwhile) meanwhile();
    co_return Claim{};  // unavailable
  }
  void add_tokens(const router::Deployment&, std::int64_t) override {}
};

TEST(Relay, WithoutTheFleetsCountADeploymentFilledWhileTheClaimWasOutIsPassedOver) {
  auto a = entry("g", "a");
  a.params.rpm = 1;
  Fixture f({a});
  f.policy.strategy = router::Strategy::usage_based;
  UnansweredClaims claims;
  f.claims = &claims;
  EXPECT_TRUE(f.run({answers()}, false).answered) << "room by the process's own count";

  Fixture filled({a});
  filled.policy.strategy = router::Strategy::usage_based;
  filled.claims = &claims;
  claims.meanwhile = [&filled] {
    filled.health->call_started(filled.table.group("g")->at(0), filled.clock.now());
  };
  const End refused = filled.run({answers()}, false);
  EXPECT_FALSE(refused.answered);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(http_status(*refused.error), 429);
  EXPECT_TRUE(filled.transport->log.calls.empty());
}

TEST(Relay, BacksOffBetweenRetriesOfOneDeploymentAndHonoursRetryAfter) {
  Fixture f({entry("g", "a")});
  f.policy.num_retries = 3;
  f.run({fails(503), fails(503), fails(429, 7s), answers()}, false);
  EXPECT_THAT(f.deployments_called(), ElementsAre("a", "a", "a", "a"));
  // 0.5 s, then doubled, then the upstream's retry-after.
  EXPECT_THAT(f.clock.waits, ElementsAre(500ms, 1000ms, 7000ms));
  EXPECT_TRUE(f.sink.answered);
}

TEST(Relay, FallsBackToTheNextGroupWhenTheFirstIsSpent) {
  Fixture f({entry("g", "a"), entry("backup", "z")});
  f.policy.fallbacks = {{"g", {"backup"}}};
  f.run({fails(500), answers()}, false);
  EXPECT_THAT(f.deployments_called(), ElementsAre("a", "z"));
  EXPECT_EQ(f.outcome.served_group, "backup");
  EXPECT_EQ(f.outcome.fallbacks, 1);
  ASSERT_TRUE(f.sink.answered);
  EXPECT_THAT(*f.sink.answered, HasSubstr(R"("model":"backup")"));
}

TEST(Relay, AMessagesCallGoesAsItIsToADeploymentThatSpeaksIt) {
  Fixture f({anthropic_entry("g", "a")});
  f.run_messages({Answer{.pieces = {std::string(kMessage)}}}, false);
  ASSERT_EQ(f.transport->log.calls.size(), 1u);
  const auto& call = f.transport->log.calls[0];
  EXPECT_EQ(call.url, "http://127.0.0.1:9/v1/messages");
  const auto sent = json::parse(call.body).as_object();
  EXPECT_EQ(sent.at("top_k"), 3) << "a field only the client's own body has";
  EXPECT_EQ(sent.at("model"), "up-a");
  EXPECT_TRUE(f.outcome.native);
  EXPECT_EQ(f.sink.answered, kMessage);
  EXPECT_EQ(f.outcome.usage.prompt_tokens, 4);
  EXPECT_EQ(f.outcome.usage.completion_tokens, 2);
}

TEST(Relay, AMessagesCallFallingBackToAnOpenAiDeploymentIsSentAsAChatCompletion) {
  Fixture f({anthropic_entry("g", "a"), entry("backup", "z")});
  f.policy.fallbacks = {{"g", {"backup"}}};
  f.run_messages({fails(500), answers()}, false);
  EXPECT_THAT(f.deployments_called(), ElementsAre("a", "z"));
  const auto& calls = f.transport->log.calls;
  EXPECT_EQ(calls[0].url, "http://127.0.0.1:9/v1/messages");
  EXPECT_EQ(calls[1].url, "http://127.0.0.1:9/v1/chat/completions");
  EXPECT_FALSE(json::parse(calls[1].body).as_object().contains("top_k"));
  EXPECT_FALSE(f.outcome.native) << "the answer is a chat completion, for the dialect to translate";
  ASSERT_TRUE(f.sink.answered);
  EXPECT_THAT(*f.sink.answered, HasSubstr(R"("object":"chat.completion")"));
}

TEST(Relay, AStreamedMessagesCallIsRelayedInItsOwnEvents) {
  Fixture f({anthropic_entry("g", "a")});
  const std::string start =
      R"(event: message_start
data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"up-a","content":[],"usage":{"input_tokens":4,"output_tokens":1}}}

)";
  const std::string rest =
      R"(event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}

event: message_stop
data: {"type":"message_stop"}

)";
  f.run_messages({Answer{.pieces = {start, rest}}}, true);
  EXPECT_TRUE(f.outcome.native);
  EXPECT_TRUE(f.sink.completed);
  ASSERT_EQ(f.sink.frames().size(), 1u) << "message_start waited for the next event";
  EXPECT_EQ(f.sink.frames()[0], start + rest);
  EXPECT_EQ(f.outcome.usage.prompt_tokens, 4);
  EXPECT_EQ(f.outcome.usage.completion_tokens, 2);
}

constexpr std::string_view kResponse =
    R"({"id":"resp_1","object":"response","status":"completed","model":"up-a","output":[],"usage":{"input_tokens":6,"input_tokens_details":{"cached_tokens":2},"output_tokens":3,"total_tokens":9}})";

TEST(Relay, AResponsesCallGoesAsItIsToAnOpenAiDeployment) {
  Fixture f({entry("g", "a")});
  f.run_responses({Answer{.pieces = {std::string(kResponse)}}});
  ASSERT_EQ(f.transport->log.calls.size(), 1u);
  const auto& call = f.transport->log.calls[0];
  EXPECT_EQ(call.url, "http://127.0.0.1:9/v1/responses");
  const auto sent = json::parse(call.body).as_object();
  EXPECT_EQ(sent.at("model"), "up-a");
  EXPECT_TRUE(sent.contains("include")) << "a field only the client's own body has";
  EXPECT_TRUE(f.outcome.native);
  EXPECT_EQ(f.sink.answered, kResponse);
  EXPECT_EQ(f.outcome.usage.prompt_tokens, 6);
  EXPECT_EQ(f.outcome.usage.cached_tokens, 2);
  EXPECT_EQ(f.outcome.usage.completion_tokens, 3);
}

TEST(Relay, AResponsesCallFallsBackBetweenAPassThroughAndATranslatedDeploymentBothWays) {
  Fixture f({entry("g", "a"), anthropic_entry("backup", "z")});
  f.policy.fallbacks = {{"g", {"backup"}}};
  f.run_responses({fails(500), Answer{.pieces = {std::string(kMessage)}}});
  EXPECT_THAT(f.deployments_called(), ElementsAre("a", "z"));
  const auto& calls = f.transport->log.calls;
  EXPECT_EQ(calls[0].url, "http://127.0.0.1:9/v1/responses");
  EXPECT_EQ(calls[1].url, "http://127.0.0.1:9/v1/messages");
  EXPECT_FALSE(f.outcome.native) << "the answer is a chat completion, for the dialect to translate";
  ASSERT_TRUE(f.sink.answered);
  EXPECT_THAT(*f.sink.answered, HasSubstr(R"("object":"chat.completion")"));

  Fixture back({anthropic_entry("g", "z"), entry("backup", "a")});
  back.policy.fallbacks = {{"g", {"backup"}}};
  back.run_responses({fails(500), Answer{.pieces = {std::string(kResponse)}}});
  EXPECT_THAT(back.deployments_called(), ElementsAre("z", "a"));
  EXPECT_EQ(back.transport->log.calls[1].url, "http://127.0.0.1:9/v1/responses");
  EXPECT_TRUE(back.outcome.native);
  EXPECT_EQ(back.sink.answered, kResponse);
}

// What the chat form left out (a built-in tool) goes whole to a deployment that speaks the
// Responses API; any other refuses the call with it, without an upstream call.
TEST(Relay, WhatTheChatFormLeftOutIsRefusedOnlyByATranslatedDeployment) {
  const Error left_out = make_error(ErrorKind::invalid_request, "The 'web_search' tool …", "tools");
  Fixture passed({entry("g", "a")});
  passed.run_responses({Answer{.pieces = {std::string(kResponse)}}}, left_out);
  EXPECT_EQ(passed.sink.answered, kResponse);

  Fixture translated({anthropic_entry("g", "z")});
  const End end = translated.run_responses({}, left_out);
  ASSERT_TRUE(end.error);
  EXPECT_EQ(end.error->message, left_out.message);
  EXPECT_EQ(http_status(*end.error), 400);
  EXPECT_TRUE(translated.transport->log.calls.empty());
}

TEST(Relay, AStreamThatFailsBeforeItsFirstFrameIsRetried) {
  Fixture f({entry("g", "a"), entry("g", "b")});
  f.policy.num_retries = 1;
  Answer cut_early = streams();
  cut_early.pieces.clear();
  cut_early.transport_error =
      make_error(ErrorKind::upstream_failed, "reset before the first event");
  f.run({std::move(cut_early), streams()}, true);
  EXPECT_THAT(f.deployments_called(), ElementsAre("a", "b"));
  EXPECT_TRUE(f.sink.ended);
  EXPECT_TRUE(f.sink.completed);
  EXPECT_EQ(f.outcome.status, 200);
  EXPECT_EQ(f.outcome.usage.total_tokens, 5);
}

TEST(Relay, NoRetryOnceAFrameReachedTheClientTheFailureEndsTheStreamInBand) {
  Fixture f({entry("g", "a"), entry("g", "b")});
  f.policy.num_retries = 3;
  Answer broken{.pieces = {std::string(kChunk)}};
  broken.pieces.push_back(
      R"(data: {"error":{"message":"overloaded, key sk-operator-a-secret","type":"server_error"}})"
      "\n\n");
  const End end = f.run({std::move(broken)}, true);
  EXPECT_TRUE(end.answered);
  EXPECT_EQ(f.transport->log.calls.size(), 1u);  // never retried
  ASSERT_EQ(f.sink.frames().size(), 1u);
  ASSERT_TRUE(f.sink.in_band);
  EXPECT_EQ(f.sink.in_band->message, "overloaded, key [redacted]");  // the upstream echoed a secret
  EXPECT_EQ(f.outcome.status, 500);
  EXPECT_FALSE(f.sink.completed);
}

TEST(Relay, AClientThatLeavesMidStreamAbortsTheUpstreamCall) {
  Fixture f({entry("g", "a")});
  f.sink.leave_at_frame = 2;
  Answer endless{.pieces = {std::string(kChunk), std::string(kChunk)}, .stall_at_end = true};
  const End end = f.run({std::move(endless)}, true);
  EXPECT_TRUE(end.answered);
  EXPECT_EQ(f.outcome.status, 499);
  EXPECT_EQ(f.transport->log.aborted, 1);
  EXPECT_EQ(f.clock.cancels, 1);
  EXPECT_EQ(f.transport->log.abandoned, 1);  // its connection is not reused
  EXPECT_EQ(f.transport->log.returned, 0);
}

TEST(Relay, TheRequestsDeadlineSpansItsRetries) {
  Fixture f({entry("g", "a", 10), entry("g", "b", 10)});
  f.policy.num_retries = 2;
  Answer slow_failure = fails(500);
  slow_failure.takes = 7s;
  f.run({std::move(slow_failure), answers()}, false);
  ASSERT_EQ(f.transport->log.calls.size(), 2u);
  EXPECT_EQ(f.transport->log.calls[0].timeout, 10s);
  EXPECT_EQ(f.transport->log.calls[1].timeout, 3s);  // what is left of the first attempt's 10 s
}

TEST(Relay, TheUpstreamTailIsReadSoItsConnectionReturnsToThePool) {
  Fixture f({entry("g", "a")});
  // [DONE] comes before the body's end: the relay reads on to the end once the client has it all.
  Answer tail = streams();
  tail.pieces.push_back(": trailing comment\n\n");
  f.run({std::move(tail)}, true);
  EXPECT_TRUE(f.sink.ended);
  EXPECT_TRUE(f.sink.completed);
  EXPECT_EQ(f.transport->log.returned, 1);
  EXPECT_EQ(f.transport->log.abandoned, 0);
}

// The values of the header `name` the call sent, in order.
std::vector<std::string> header_values(const upstream::Call& call, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [field, value] : call.headers) {
    if (field == name) values.push_back(value);
  }
  return values;
}

TEST(Relay, EveryAttemptCarriesTheCallsTraceparentOnce) {
  Fixture f({entry("g", "a"), entry("g", "b")});
  f.policy.num_retries = 1;
  f.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  EXPECT_TRUE(f.run({fails(500), answers()}, false).answered);
  ASSERT_EQ(f.transport->log.calls.size(), 2u);
  for (const upstream::Call& call : f.transport->log.calls)
    EXPECT_THAT(header_values(call, "traceparent"), ElementsAre(f.traceparent));
  f.traceparent.clear();
  EXPECT_TRUE(f.run({answers()}, false).answered);
  EXPECT_THAT(header_values(f.transport->log.calls.at(0), "traceparent"), ElementsAre());
}

TEST(Relay, UpstreamErrorsAreMaskedOfTheCredentialsSentAndTheClientsKey) {
  Fixture f({entry("g", "a")});
  Answer echo{
      .status = 401,
      .pieces = {
          R"({"error":{"message":"bad key sk-operator-a-secret from sk-client-key-0123, Bearer xyz","type":"invalid_request_error"}})"}};
  const End end = f.run({std::move(echo)}, false);
  ASSERT_TRUE(end.error);
  EXPECT_EQ(end.error->message, "bad key [redacted] from [redacted], Bearer [redacted]");
}

TEST(RelayProbe, CallsTheOneDeploymentOnceWithTheProbesTimeout) {
  Fixture f({entry("g", "a"), entry("g", "b")});
  f.policy.num_retries = 3;
  EXPECT_FALSE(f.probe({answers()}, 1));
  ASSERT_EQ(f.transport->log.calls.size(), 1u);
  EXPECT_EQ(f.transport->log.calls[0].timeout, 7s);
  EXPECT_THAT(f.deployments_called(), ElementsAre("b"));
}

TEST(RelayProbe, AFailureIsReturnedMaskedNeitherRetriedNorCoolingTheDeployment) {
  Fixture f({entry("g", "a"), entry("g", "b")});
  f.policy.num_retries = 3;
  Answer echo{.status = 500,
              .pieces = {R"({"error":{"message":"down, key sk-operator-a-secret",)"
                         R"("type":"server_error"}})"}};
  for (int probe = 0; probe < 5; ++probe) {
    const auto failure = f.probe({echo}, 0);
    ASSERT_TRUE(failure);
    EXPECT_EQ(http_status(*failure), 500);
    EXPECT_EQ(failure->message, "down, key [redacted]");
    EXPECT_EQ(f.transport->log.calls.size(), 1u);
  }
  EXPECT_FALSE(f.health->cooling_until(f.table.group("g")->at(0), f.clock.now()));
}

TEST(RelayProbe, AnAnswerItsProviderCannotReadIsAFailure) {
  Fixture f({entry("g", "a")});
  const auto failure = f.probe({Answer{.pieces = {"not json"}}}, 0);
  ASSERT_TRUE(failure);
  EXPECT_EQ(http_status(*failure), 502);
}

}  // namespace
}  // namespace llmux::relay
