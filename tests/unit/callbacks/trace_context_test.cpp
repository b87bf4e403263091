#include "callbacks/trace_context.hpp"

#include <gtest/gtest.h>

#include <span>
#include <string>

namespace llmux::callbacks {
namespace {

constexpr std::string_view kTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

std::string_view view(std::span<const char> hex) { return {hex.data(), hex.size()}; }

TEST(Traceparent, OnlyAWellFormedHeaderIsTaken) {
  const auto parent = parse_traceparent(kTraceparent);
  ASSERT_TRUE(parent);
  EXPECT_EQ(parent->trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(parent->span_id, "b7ad6b7169203331");
  // A later version may carry more fields after a dash.
  EXPECT_TRUE(parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"));
  for (std::string_view invalid :
       {"", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",    // uppercase
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",    // zero trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",    // zero parent id
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",    // forbidden version
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",  // version 00 is exact
        "00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01"}) {
    EXPECT_FALSE(parse_traceparent(invalid)) << invalid;
  }
}

TEST(TraceContext, ContinuesTheCallersTraceUnderANewSpanThatTheUpstreamHeaderNames) {
  const TraceContext context = trace_context(kTraceparent);
  EXPECT_EQ(view(context.trace_id), "0af7651916cd43dd8448eb211c80319c");
  ASSERT_TRUE(context.parent_span_id);
  EXPECT_EQ(view(*context.parent_span_id), "b7ad6b7169203331");
  EXPECT_NE(view(context.span_id), "b7ad6b7169203331");
  EXPECT_EQ(context.upstream_header(),
            "00-0af7651916cd43dd8448eb211c80319c-" + std::string(view(context.span_id)) + "-01");
  EXPECT_NE(view(trace_context(kTraceparent).span_id), view(context.span_id));
}

TEST(TraceContext, WithoutAValidHeaderStartsATraceOfItsOwn) {
  for (std::string_view header : {std::string_view(), std::string_view("not-a-traceparent")}) {
    const TraceContext context = trace_context(header);
    EXPECT_FALSE(context.parent_span_id);
    const auto upstream = parse_traceparent(context.upstream_header());
    ASSERT_TRUE(upstream) << context.upstream_header();
    EXPECT_EQ(upstream->trace_id, view(context.trace_id));
    EXPECT_EQ(upstream->span_id, view(context.span_id));
    EXPECT_NE(view(trace_context(header).trace_id), view(context.trace_id));
  }
}

}  // namespace
}  // namespace llmux::callbacks
