#include "core/trace/trace_context.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "core/trace/span_ids.hpp"

namespace agentrt {
namespace {

constexpr const char* kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContext, ParsesTheSpecExample) {
  const auto context = parse_traceparent(kValid, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(context->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(context->span_id, "00f067aa0ba902b7");
  EXPECT_TRUE(context->sampled);
  EXPECT_EQ(context->tracestate, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_EQ(context->traceparent(), kValid);
}

TEST(TraceContext, ReadsTheSampledBitOnly) {
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")->sampled);
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02")->sampled);
  EXPECT_TRUE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03")->sampled);
}

TEST(TraceContext, RejectsMalformedHeaders) {
  for (const std::string bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",         // no flags
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",      // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",      // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",      // zero span id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",      // version ff
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xx",   // v00 with more fields
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",      // separators
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",      // not hex
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",     // later version, bad tail
       }) {
    EXPECT_FALSE(parse_traceparent(bad).has_value()) << bad;
  }
}

TEST(TraceContext, AcceptsALaterVersionWithMoreFields) {
  const auto context = parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra");
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(context->traceparent(), kValid);  // written back as version 00
}

TEST(TraceContext, DropsAMalformedTracestateButKeepsTheParent) {
  const auto oversized = parse_traceparent(kValid, std::string(513, 'a'));
  ASSERT_TRUE(oversized.has_value());
  EXPECT_EQ(oversized->tracestate, "");
  const auto control = parse_traceparent(kValid, "a=b\nc=d");
  ASSERT_TRUE(control.has_value());
  EXPECT_EQ(control->tracestate, "");
}

TEST(TraceContext, RatioSamplingIsDecidedByTheTraceIdAlone) {
  const std::string low = "4bf92f3577b34da60000000000000001";
  const std::string high = "4bf92f3577b34da6ffffffffffffffff";
  EXPECT_TRUE(trace_id_ratio_sampled(low, 0.5));
  EXPECT_FALSE(trace_id_ratio_sampled(high, 0.5));
  EXPECT_TRUE(trace_id_ratio_sampled(high, 1.0));
  EXPECT_FALSE(trace_id_ratio_sampled(low, 0.0));
  int sampled = 0;
  for (int i = 0; i < 1000; ++i) {
    // spread the low 8 bytes over the whole range
    char low_part[17];
    std::snprintf(low_part, sizeof low_part, "%016llx", static_cast<unsigned long long>(i) * 18446744073709551ULL);
    if (trace_id_ratio_sampled(std::string("4bf92f3577b34da6") + low_part, 0.25)) ++sampled;
  }
  EXPECT_NEAR(sampled, 250, 5);
}

TEST(SpanIds, AreStableDistinctAndValid) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const auto a = derive_span_id(trace, "s-1", "llm", 7);
  EXPECT_EQ(a, derive_span_id(trace, "s-1", "llm", 7));
  EXPECT_TRUE(is_span_id(a));
  EXPECT_NE(a, derive_span_id(trace, "s-1", "llm", 8));
  EXPECT_NE(a, derive_span_id(trace, "s-1", "tool", 7));
  EXPECT_NE(a, derive_span_id(trace, "s-2", "llm", 7));
  EXPECT_NE(derive_span_id(trace, "s-1", "llm", 17), derive_span_id(trace, "s-1l", "lm", 17));
}

}  // namespace
}  // namespace agentrt
