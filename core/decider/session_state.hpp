#pragma once
// The decider's state of one session: everything needed to decide the next step, and nothing
// that cannot be rebuilt from the history. It is the checkpoint format (to_json/from_json), so
// a field added here must have a default when read from an older checkpoint.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/command.hpp"
#include "core/model/ids.hpp"
#include "core/model/session.hpp"

namespace agentrt {

// One tool call of the model's latest reply, through its stages.
struct PendingCall {
  enum class Stage {
    ready,              // decided; its ToolRequested / TimerStarted is in the outbox
    needs_approval,     // a human must approve before it runs
    needs_answer,       // ask_human: a human must answer
    asked,              // InputRequested recorded; waiting for the MessageReceived
    running,            // ToolRequested recorded; waiting for ToolCompleted / ToolFailed
    sleeping,           // TimerStarted recorded; waiting for TimerFired
    done,
  };
  std::string call_id;
  std::string name;
  nlohmann::json arguments = nlohmann::json::object();
  Stage stage = Stage::ready;
  std::int64_t request_seq = 0;   // seq of ToolRequested: the idempotency key's second half
  std::int64_t due_ms = 0;        // sleeping: when the timer fires
  bool ok = false;                // done: outcome
  std::string output;             // done: result text given back to the model
  std::string input_kind;         // asked: "question" or "approval"
  std::string prompt;             // asked: what the human was asked
};

struct QueuedMessage {
  std::string message_id;
  std::string text;
};

struct SessionState {
  SessionStatus status = SessionStatus::idle;
  std::int64_t last_seq = 0;

  nlohmann::json messages = nlohmann::json::array();  // transcript in OpenAI chat format, no system prompt
  std::int64_t turn = 0;
  int steps_in_turn = 0;                // LLM calls + tool calls in this turn
  int invalid_replies_in_turn = 0;      // consecutive replies with bad tool calls
  long long tokens_in_turn = 0;
  std::int64_t turn_started_ms = 0;
  std::int64_t paused_ms = 0;           // time in this turn spent waiting for a human or asleep
  std::int64_t paused_since_ms = 0;     // 0 when not paused

  bool llm_in_flight = false;           // LlmRequested recorded, no LlmCompleted/LlmFailed yet
  std::int64_t llm_request_seq = 0;
  std::vector<PendingCall> calls;       // tool calls of the latest model reply
  std::deque<QueuedMessage> queued;     // messages received while a turn was running
  std::deque<Command> outbox;           // decided, not yet recorded as events

  std::vector<std::string> patches;     // Marker patch ids recorded for this session, sorted
  long long tokens_in_total = 0;
  long long tokens_out_total = 0;
  std::string failure_reason;
  // The session's trace (W3C), from SessionStarted: every worker continues the same trace.
  std::string traceparent;              // empty: the session was started without one
  std::string tracestate;

  [[nodiscard]] PendingCall* find_call(std::string_view call_id);
  [[nodiscard]] const PendingCall* awaiting_human() const;  // the call whose InputRequested is open
  [[nodiscard]] bool has_patch(std::string_view id) const;
};

nlohmann::json to_json(const SessionState& state);
// Throws nlohmann::json::exception on a malformed checkpoint.
SessionState session_state_from_json(const nlohmann::json& j);

std::string_view stage_name(PendingCall::Stage s) noexcept;

}  // namespace agentrt
