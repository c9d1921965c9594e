#pragma once
// RunObserver: what a front end (the CLI, later the stream hub) sees of a running session.
// Called on the runner's executor, after the events are durable; must not block.

#include <string_view>

#include "core/decider/session_state.hpp"
#include "core/model/event.hpp"
#include "core/model/ids.hpp"

namespace agentrt {

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void on_event(const SessionId& /*session*/, const Event& /*event*/) {}
  // Streamed model tokens; not durable (the final text is recorded as OutputEmitted).
  virtual void on_token(const SessionId& /*session*/, std::string_view /*text*/) {}
  // The session's state: once after the runner loaded it, then after each durable batch of
  // events (after their on_event calls).
  virtual void on_state(const SessionId& /*session*/, const SessionState& /*state*/) {}
};

}  // namespace agentrt
