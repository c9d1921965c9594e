#pragma once
// RunObserver: what a front end (the CLI, the stream hub, metrics) sees of a running session.
// Called on the runner's executor, after the events are durable; must not block.

#include <chrono>
#include <cstdint>
#include <string_view>

#include "core/decider/session_state.hpp"
#include "core/model/event.hpp"
#include "core/model/ids.hpp"

namespace agentrt {

// How long one step of a session took, measured by the runner with the Clock port's monotonic
// time (the durable events only carry the wall-clock ms of their batch).
struct StepTiming {
  enum class Kind {
    llm,       // one LLM call: request sent to reply received
    tool,      // one tool call (all its attempts)
    overhead,  // the runtime's own work: a call's result arrived to the next call launched
  };
  Kind kind = Kind::llm;
  std::string_view name;  // the model (llm) or the tool (tool); empty for overhead
  std::chrono::nanoseconds duration{0};
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void on_event(const SessionId& /*session*/, const Event& /*event*/) {}
  // Streamed model tokens; not durable (the final text is recorded as OutputEmitted).
  virtual void on_token(const SessionId& /*session*/, std::string_view /*text*/) {}
  // The session's state: once after the runner loaded it, then after each durable batch of
  // events (after their on_event calls).
  virtual void on_state(const SessionId& /*session*/, const SessionState& /*state*/) {}
  virtual void on_step_timing(const SessionId& /*session*/, const StepTiming& /*timing*/) {}
  // An inbox message was recorded durably (its MessageReceived): enqueued and recorded in
  // wall-clock ms, so recorded_ms - enqueued_ms is how long it waited for a worker.
  virtual void on_message_recorded(const SessionId& /*session*/, std::int64_t /*enqueued_ms*/,
                                   std::int64_t /*recorded_ms*/) {}
};

}  // namespace agentrt
