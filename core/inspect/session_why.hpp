#pragma once
// Why a session is in its status, from the folded state and the history: which input it
// waits for and since when, when it wakes, which LLM or tool call is in flight for how long
// (against the tool's timeout budget), and the last error.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/decider/session_state.hpp"
#include "core/model/definition.hpp"
#include "core/model/event.hpp"
#include "core/model/session.hpp"

namespace agentrt {

struct ToolInFlight {
  std::string call_id;
  std::string name;
  std::int64_t seq = 0;         // its ToolRequested (the idempotency key's second half)
  std::int64_t since_ms = 0;
  std::int64_t timeout_ms = 0;  // per attempt; 0 when the tool is not in the definition
  int attempts = 1;
  std::int64_t budget_ms = 0;   // timeout x attempts + the longest backoffs: when it must be over
};

struct LlmInFlight {
  std::int64_t seq = 0;  // its LlmRequested
  std::int64_t since_ms = 0;
  std::int64_t turn = 0;
  std::int64_t step = 0;
};

struct InputWait {
  std::string call_id;
  std::string tool;
  std::string kind;    // "question" or "approval"
  std::string prompt;  // redacted
  std::int64_t seq = 0;  // its InputRequested
  std::int64_t since_ms = 0;
};

struct TimerWait {
  std::string call_id;
  std::int64_t seq = 0;  // its TimerStarted
  std::int64_t due_ms = 0;
};

struct LastError {
  std::int64_t seq = 0;
  std::int64_t time_ms = 0;
  std::string type;     // LlmFailed, ToolFailed or SessionFailed
  std::string message;  // redacted, truncated
};

struct SessionWhy {
  std::string summary;  // one line: "waiting for input since ...: approval of effect (call_1)"
  std::optional<InputWait> waiting;
  std::vector<TimerWait> timers;
  std::optional<LlmInFlight> llm;
  std::vector<ToolInFlight> tools;
  std::optional<LastError> last_error;
  std::string failure_reason;   // failed sessions
  nlohmann::json cancellation;  // cancelled sessions: the SessionCancelled data; else null
};

// A running call as inspect shows it, judged by the tool as this session sees it (base
// definition + the session's patches); `since_ms` is its ToolRequested time. `definition` may
// be null (then no timeout or budget).
ToolInFlight tool_in_flight(const PendingCall& call, std::int64_t since_ms, const SessionState& state,
                            const AgentDefinition* definition);

// Longest time a call of `tool` can take: timeout x attempts + every backoff at its maximum.
std::int64_t tool_call_budget_ms(const ToolDefinition& tool);

// `status` is the store's; `state` the folded history (`events` sorted by seq);
// `definition` may be null when the pinned definition could not be read.
SessionWhy explain_session(SessionStatus status, std::int64_t status_since_ms, const SessionState& state,
                           const std::vector<Event>& events, const AgentDefinition* definition,
                           std::size_t pending_messages, std::int64_t now_ms);

}  // namespace agentrt
