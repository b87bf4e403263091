#include "cache/key.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace llmux::cache {
namespace {

namespace json = boost::json;

json::object body(std::string_view text) { return json::parse(text).as_object(); }

std::string chat_key(std::string_view text, std::string_view group = "gpt",
                     std::string_view key_namespace = {}) {
  return answer_key(api::Endpoint::chat_completions, group, body(text), key_namespace);
}

constexpr std::string_view kBase =
    R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],"temperature":0.5})";

TEST(AnswerKey, IsAHexSha256) {
  const std::string key = chat_key(kBase);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(AnswerKey, FieldsThatDoNotReachTheModelDoNotChangeIt) {
  const std::string base = chat_key(kBase);
  EXPECT_EQ(chat_key(R"({"temperature":0.5,"messages":[{"content":"hi","role":"user"}],
                         "model":"gpt"})"),
            base)
      << "order of fields and of members";
  EXPECT_EQ(chat_key(R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],
                         "temperature":0.5,"stream":true,"stream_options":{"include_usage":true},
                         "user":"u-1","metadata":{"tags":["x"]},"cache":{"ttl":5},
                         "num_retries":3,"fallbacks":["b"],"timeout":9})"),
            base);
}

TEST(AnswerKey, FieldsThatChangeTheAnswerChangeIt) {
  const std::string base = chat_key(kBase);
  for (
      const char* changed : {
          R"({"model":"gpt","messages":[{"role":"user","content":"hello"}],"temperature":0.5})",
          R"({"model":"gpt","messages":[{"role":"system","content":"hi"}],"temperature":0.5})",
          R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],"temperature":0.7})",
          R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"seed":1})",
          R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],"temperature":0.5,
               "response_format":{"type":"json_object"}})",
          R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],"temperature":0.5,
               "tools":[{"type":"function","function":{"name":"f"}}]})",
          R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],"temperature":"0.5"})",
          R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],"temperature":0.5,
               "some_provider_field":1})",
      }) {
    EXPECT_NE(chat_key(changed), base) << changed;
  }
  EXPECT_NE(chat_key(kBase, "other-group"), base);
  EXPECT_NE(answer_key(api::Endpoint::completions, "gpt", body(kBase), {}), base);
}

// Keys are shared on Redis by every instance, whatever its version: their text does not change.
// SHA-256 of "6:answer17:/chat/completions3:gpt2:8:messagesa1:o2:7:contents2:hi4:roles4:user
// 11:temperatured0.5;" (the canonical form, key.hpp), and of a response_format whose object of 20
// members (sorted on the heap, not on the stack) came in reverse order.
TEST(AnswerKey, ItsCanonicalTextIsStable) {
  EXPECT_EQ(chat_key(R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],)"
                     R"("temperature":0.5,"user":"u"})"),
            "8ae0160b84ca0fa3615e56bdd6597c5d5da013c1c7e76063deac519069420249");
  const std::string properties =
      R"("p19":{"type":"integer"},"p18":{"type":"integer"},"p17":{"type":"integer"},"p16":{"type":"integer"},"p15":{"type":"integer"},"p14":{"type":"integer"},"p13":{"type":"integer"},"p12":{"type":"integer"},"p11":{"type":"integer"},"p10":{"type":"integer"},"p09":{"type":"integer"},"p08":{"type":"integer"},"p07":{"type":"integer"},"p06":{"type":"integer"},"p05":{"type":"integer"},"p04":{"type":"integer"},"p03":{"type":"integer"},"p02":{"type":"integer"},"p01":{"type":"integer"},"p00":{"type":"integer"})";
  EXPECT_EQ(chat_key(R"({"model":"gpt","messages":[{"role":"user","content":"hi"}],)"
                     R"("response_format":{"type":"json_schema","json_schema":{"name":"w",)"
                     R"("schema":{"type":"object","properties":{)" +
                         properties + "}}}}}",
                     "gpt", "team"),
            "team:08a71b522aa7484aa2bd886a603bece526aca486915ed16213d14d9d2cbca3ba");
}

TEST(AnswerKey, NamespacePrefixesIt) {
  const std::string plain = chat_key(kBase);
  EXPECT_EQ(chat_key(kBase, "gpt", "team-a"), "team-a:" + plain);
}

TEST(EmbeddingKey, OneKeyPerInputSharedAcrossRequests) {
  const auto batch = body(R"({"model":"e","input":["a","b"],"dimensions":8})");
  const auto inputs = embedding_inputs(batch);
  ASSERT_EQ(inputs.size(), 2u);
  const auto single = body(R"({"model":"e","input":"b","dimensions":8,"user":"u"})");
  ASSERT_EQ(embedding_inputs(single).size(), 1u);
  EXPECT_EQ(embedding_key("e", batch, *inputs[1], {}),
            embedding_key("e", single, *embedding_inputs(single)[0], {}))
      << "an input alone or in a batch is one entry";
  EXPECT_NE(embedding_key("e", batch, *inputs[0], {}), embedding_key("e", batch, *inputs[1], {}));
  const auto other_dimensions = body(R"({"model":"e","input":"b","dimensions":16})");
  EXPECT_NE(embedding_key("e", other_dimensions, *embedding_inputs(other_dimensions)[0], {}),
            embedding_key("e", single, *embedding_inputs(single)[0], {}));
  const auto tokens = body(R"({"model":"e","input":[1,2,3]})");
  EXPECT_EQ(embedding_inputs(tokens).size(), 1u) << "one array of tokens is one input";
  EXPECT_TRUE(embedding_inputs(body(R"({"model":"e"})")).empty());
}

TEST(ReadControls, LiteLLMsCacheObject) {
  // Named: the namespace read is a view into the body, which must outlive it.
  const auto with_cache = body(R"({"cache":{"no-cache":true,"no-store":true,"ttl":30,
      "s-maxage":10,"namespace":"ns","use-cache":true}})");
  auto controls = read_controls(with_cache);
  ASSERT_TRUE(controls);
  EXPECT_TRUE(controls->no_cache);
  EXPECT_TRUE(controls->no_store);
  EXPECT_TRUE(controls->use_cache);
  EXPECT_EQ(controls->ttl_s, 30);
  EXPECT_EQ(controls->max_age_s, 10);
  EXPECT_EQ(controls->key_namespace, "ns");

  auto none = read_controls(body(R"({"model":"m"})"));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->no_cache);
  EXPECT_FALSE(none->ttl_s);
  EXPECT_TRUE(none->key_namespace.empty());

  const auto with_metadata = body(R"({"metadata":{"redis_namespace":"meta"}})");
  auto from_metadata = read_controls(with_metadata);
  ASSERT_TRUE(from_metadata);
  EXPECT_EQ(from_metadata->key_namespace, "meta");
  auto spelled = read_controls(body(R"({"cache":{"s-max-age":4}})"));
  ASSERT_TRUE(spelled);
  EXPECT_EQ(spelled->max_age_s, 4);
}

TEST(ReadControls, MalformedControlsAreA400NamingThem) {
  for (const char* text :
       {R"({"cache":true})", R"({"cache":{"no-cache":"yes"}})", R"({"cache":{"ttl":-1}})",
        R"({"cache":{"s-maxage":"5"}})", R"({"cache":{"namespace":3}})"}) {
    auto controls = read_controls(body(text));
    ASSERT_FALSE(controls) << text;
    EXPECT_EQ(controls.error().kind, ErrorKind::invalid_request) << text;
    EXPECT_EQ(controls.error().param, "cache") << text;
  }
}

TEST(ReadControls, CacheControlHeaderSMaxageIsTheAnswersTtl) {
  auto from_header =
      read_controls(body(R"({"model":"m"})"), {.cache_control = "no-transform, S-MAXAGE=120"});
  ASSERT_TRUE(from_header);
  EXPECT_EQ(from_header->ttl_s, 120);
  EXPECT_FALSE(from_header->max_age_s) << "in the header it is a lifetime, not an age limit";

  auto body_wins = read_controls(body(R"({"cache":{"ttl":5}})"), {.cache_control = "s-maxage=120"});
  ASSERT_TRUE(body_wins);
  EXPECT_EQ(body_wins->ttl_s, 5);

  auto other_directives = read_controls(body("{}"), {.cache_control = "no-cache, max-age=3"});
  ASSERT_TRUE(other_directives);
  EXPECT_FALSE(other_directives->ttl_s);
  EXPECT_FALSE(other_directives->no_cache) << "LiteLLM reads only s-maxage from the header";

  for (const char* header : {"s-maxage=soon", "s-maxage=-1", "s-maxage="}) {
    auto malformed = read_controls(body("{}"), {.cache_control = header});
    ASSERT_FALSE(malformed) << header;
    EXPECT_EQ(malformed.error().kind, ErrorKind::invalid_request) << header;
  }
}

TEST(ReadControls, AKeysMetadataCacheTakesThePlaceOfTheBodys) {
  const json::value key_controls =
      json::parse(R"({"no-store":true,"ttl":60,"namespace":"ignored","use-cache":true,"other":1})");
  auto controls = read_controls(
      body(R"({"cache":{"no-cache":true,"ttl":5,"namespace":"mine","use-cache":true}})"),
      {.key_controls = &key_controls});
  ASSERT_TRUE(controls);
  EXPECT_TRUE(controls->no_store);
  EXPECT_FALSE(controls->no_cache) << "the body's controls are not read";
  EXPECT_EQ(controls->ttl_s, 60);
  EXPECT_TRUE(controls->key_namespace.empty()) << "namespace is not a key-level control";
  EXPECT_FALSE(controls->use_cache) << "use-cache is not a key-level control";

  const json::value not_an_object = json::parse("true");
  auto emptied =
      read_controls(body(R"({"cache":{"no-cache":true}})"), {.key_controls = &not_an_object});
  ASSERT_TRUE(emptied);
  EXPECT_FALSE(emptied->no_cache);

  const json::value malformed = json::parse(R"({"ttl":"soon"})");
  auto refused = read_controls(body("{}"), {.key_controls = &malformed});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().param, "cache");
}

TEST(AllowedControls, OnlyListedControlsMaySetAndAnEmptyListAllowsAny) {
  const std::vector<std::string> allowed{"no-cache", "ttl"};
  EXPECT_TRUE(check_allowed_controls(body(R"({"cache":{"no-cache":true,"ttl":5}})"), {}, allowed));
  EXPECT_TRUE(check_allowed_controls(body(R"({"model":"m"})"), {}, allowed));
  EXPECT_TRUE(check_allowed_controls(body(R"({"cache":"yes"})"), {}, allowed))
      << "not an object: no control (read_controls refuses it when the cache is on)";
  auto refused =
      check_allowed_controls(body(R"({"cache":{"ttl":5,"no-store":true}})"), {}, allowed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::forbidden);
  EXPECT_EQ(refused.error().message,
            "Not allowed to set no-store as a cache control. Contact admin to change permissions.");
  EXPECT_TRUE(check_allowed_controls(body(R"({"cache":{"no-store":true}})"), {}, {}));
  // A key's metadata.cache takes the place of the body's: its controls are the ones checked.
  const json::value key_controls = json::parse(R"({"no-store":true})");
  EXPECT_FALSE(check_allowed_controls(body(R"({"cache":{"ttl":5}})"),
                                      {.key_controls = &key_controls}, allowed));
}

TEST(ScopeKey, EverythingButThePromptAndWhatDoesNotReachTheModel) {
  const auto scope = [](std::string_view group, std::string_view text) {
    return scope_key(api::Endpoint::chat_completions, group, body(text), "");
  };
  const std::string base =
      scope("gpt", R"({"model":"gpt","messages":[{"role":"user","content":"a"}]})");
  EXPECT_EQ(
      base,
      scope("gpt", R"({"model":"gpt","messages":[{"role":"user","content":"b"}],"user":"u"})"));
  EXPECT_NE(base, scope("gpt", R"({"model":"gpt","messages":[],"temperature":0.5})"));
  EXPECT_NE(base, scope("other", R"({"model":"gpt","messages":[]})"));
  EXPECT_NE(base, scope_key(api::Endpoint::completions, "gpt", body(R"({"prompt":"a"})"), ""));
  EXPECT_EQ(scope_key(api::Endpoint::completions, "gpt", body(R"({"prompt":"a"})"), ""),
            scope_key(api::Endpoint::completions, "gpt", body(R"({"prompt":"b"})"), ""));
  EXPECT_TRUE(
      scope_key(api::Endpoint::chat_completions, "gpt", body("{}"), "ns").starts_with("ns:"));
}

TEST(PromptText, TheMessagesTextOneALineAndACompletionsPrompt) {
  EXPECT_EQ(prompt_text(api::Endpoint::chat_completions,
                        body(R"({"messages":[{"role":"system","content":"Be brief."},)"
                             R"({"role":"user","content":[{"type":"text","text":"Hi"},)"
                             R"({"type":"image_url","image_url":{"url":"x"}},)"
                             R"({"type":"text","text":"there"}]},{"role":"assistant"}]})")),
            "Be brief.\nHi\nthere");
  EXPECT_EQ(prompt_text(api::Endpoint::completions, body(R"({"prompt":"say"})")), "say");
  EXPECT_EQ(prompt_text(api::Endpoint::completions, body(R"({"prompt":["a","b",3]})")), "a\nb");
  EXPECT_EQ(prompt_text(api::Endpoint::chat_completions, body(R"({"messages":"no"})")), "");
}

}  // namespace
}  // namespace llmux::cache
