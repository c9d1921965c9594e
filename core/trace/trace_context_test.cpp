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
  EXPECT_TRUE(is_span_id(a.str()));
  EXPECT_NE(a, derive_span_id(trace, "s-1", "llm", 8));
  EXPECT_NE(a, derive_span_id(trace, "s-1", "tool", 7));
  EXPECT_NE(a, derive_span_id(trace, "s-2", "llm", 7));
  EXPECT_NE(derive_span_id(trace, "s-1", "llm", 17), derive_span_id(trace, "s-1l", "lm", 17));
}

// The ids of spans already exported (and of traceparents already sent to tools) must not
// change with a new build: a session resumed by an upgraded worker closes the spans the old
// one opened. Values of FNV-1a 64 over the parts, each followed by 0xff, n in decimal.
TEST(SpanIds, KeepTheirValuesAcrossBuilds) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  EXPECT_EQ(derive_span_id(trace, "s-1", "llm", 7), "de0b24b7daea64dd");
  EXPECT_EQ(derive_span_id(trace, "s-1", "turn", -5), "f3a4a7db793d5280");
  const SpanIdSeed seed(trace, "s-1");  // what a SessionTrace keeps: the same ids
  EXPECT_EQ(seed.derive("llm", 7), "de0b24b7daea64dd");
}

TEST(HexIds, HoldExactlyTheirLengthOfDigits) {
  const SpanIdHex id("00f067aa0ba902b7");
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(id.str(), "00f067aa0ba902b7");
  EXPECT_EQ(id, std::string("00f067aa0ba902b7"));
  EXPECT_TRUE(SpanIdHex().empty());
  EXPECT_EQ(SpanIdHex().str(), "");
  EXPECT_TRUE(SpanIdHex("00f067aa0ba902b").empty()) << "15 digits are no span id";
  EXPECT_TRUE(TraceIdHex("00f067aa0ba902b7").empty()) << "16 digits are no trace id";
  EXPECT_NE(SpanIdHex("00f067aa0ba902b7"), SpanIdHex("00f067aa0ba902b8"));
}

}  // namespace
}  // namespace agentrt
