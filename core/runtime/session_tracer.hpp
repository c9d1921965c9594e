#pragma once
// SessionTracer: the spans of one activation of one session, built from what the runner
// reports (its state after loading, then each durable event), and handed to a SpanSink.
//
// The tree, one trace per session (docs/observability.md):
//   agentrt.session (root, exported when the session is created, under the creator's span)
//   ├── agentrt.activation   one per worker activation: worker, lease epoch, why it ended
//   └── agentrt.turn         turn N, from its first message to TurnCompleted (or failure)
//       ├── chat <model>     one LLM call: model, tokens in/out, finish reason
//       └── tool <name>      one tool call: outcome, attempts, retries
// Turn, LLM and tool span ids are derived from the history (core/trace/session_trace.hpp),
// so a turn opened by a worker that then crashed is closed under the same id by the worker
// that finishes it, and the calls it redoes keep their ids. A call in flight when this
// activation began (started by an earlier owner) is timed from this activation's start and
// marked agentrt.resumed=true. Nothing is exported for sessions without a sampled trace.
//
// Threading: called on the runner's executor only; export goes through the sink (which does
// not block).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/model/ids.hpp"
#include "core/ports/clock.hpp"
#include "core/ports/span_sink.hpp"
#include "core/runtime/run_observer.hpp"
#include "core/trace/session_trace.hpp"

namespace agentrt {

struct TracedActivation {
  std::string worker;
  std::string org;
  std::string bot;
  std::string model;     // the definition's model name (gen_ai.request.model)
  std::string provider;  // gen_ai.system
  std::int64_t epoch = 0;
  std::string reason;    // why the worker took the session: inbox, timer_due, interrupted
};

class SessionTracer final : public RunObserver {
 public:
  SessionTracer(SpanSink& sink, const Clock& clock, SessionId session, TracedActivation activation);
  SessionTracer(const SessionTracer&) = delete;
  SessionTracer& operator=(const SessionTracer&) = delete;

  void on_state(const SessionId& session, const SessionState& state) override;
  void on_event(const SessionId& session, const Event& event) override;

  // The activation is over: exports its span. `error` empty: it ended normally (quiescent);
  // otherwise the span's status is error with that message (fenced, failed, cancelled).
  void finish(const std::string& error);

  // For log lines about this activation: empty until the session's state was loaded, and for
  // sessions without a trace.
  [[nodiscard]] std::string trace_id() const { return trace_ ? trace_->context.trace_id : std::string{}; }
  [[nodiscard]] std::string activation_span_id() const;

  // The root span of a new session, exported by whoever creates it (the API). Nothing when
  // the trace is not sampled.
  static void export_session_root(SpanSink& sink, const SessionTrace& trace, const std::string& org,
                                  const std::string& bot, std::int64_t created_ns);

 private:
  struct OpenCall {
    SpanIdHex span_id;
    std::string name;
    std::int64_t start_ns = 0;
    bool resumed = false;
  };
  struct OpenTurn {
    std::int64_t number = 0;
    std::int64_t started_ms = 0;
    SpanIdHex span_id;
  };

  [[nodiscard]] std::int64_t now_ns() const;
  [[nodiscard]] bool traced() const { return trace_.has_value() && trace_->context.sampled; }
  [[nodiscard]] Span child_of_turn(const SpanIdHex& span_id, SpanText name, std::int64_t start_ns) const;
  void end_turn(std::int64_t end_ns, const std::string& error);
  void end_llm(const Event& event);
  void end_tool(const Event& event);
  void emit(Span span);

  SpanSink& sink_;
  const Clock& clock_;
  SessionId session_;
  TracedActivation activation_;
  // What every span of this activation carries, made once (SpanText::shared).
  SpanText session_text_;
  SpanText worker_text_;
  SpanText model_text_;
  SpanText provider_text_;
  SpanText chat_name_;  // "chat <model>"
  std::int64_t anchor_wall_ns_ = 0;  // wall time at construction, advanced by the monotonic clock
  std::chrono::steady_clock::time_point anchor_steady_;
  std::int64_t started_ns_ = 0;

  bool loaded_ = false;
  std::optional<SessionTrace> trace_;
  std::optional<OpenTurn> turn_;
  std::optional<OpenCall> llm_;
  std::map<std::string, OpenCall, std::less<>> tools_;  // by call_id
  bool finished_ = false;
};

}  // namespace agentrt
