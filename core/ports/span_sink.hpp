#pragma once
// SpanSink: where finished spans go (an OTLP batch exporter in serve). export_span() must
// not block and must not fail the caller: a sink that cannot keep up drops spans and counts
// them. Thread-safe: runners on any thread may call it.

#include "core/trace/span.hpp"

namespace agentrt {

class SpanSink {
 public:
  virtual ~SpanSink() = default;
  virtual void export_span(Span span) = 0;
};

}  // namespace agentrt
