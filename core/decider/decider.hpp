#pragma once
// The pure decider: decide(state, event) -> commands. Deterministic: no clock, no randomness,
// no I/O; time enters only as Event::time_ms. Recovery and replay are "fold the history".
//
// State machine (SessionState::status), one turn per user message:
//
//   idle --MessageReceived--> running: record the user message, CallLlm (LlmRequested)
//   running --LlmCompleted, no tool calls--> OutputEmitted + TurnCompleted --> idle
//                                            (then the next queued message starts a turn)
//   running --LlmCompleted, tool calls--> each call validated (known tool, JSON arguments that
//            satisfy the tool's schema); a bad reply goes back to the model as tool errors, at most
//            policies.max_invalid_replies times in a row, then SessionFailed.
//            Good calls: http/command -> ToolRequested (all at once: they run in parallel);
//            sleep -> TimerStarted; ask_human and calls that need approval -> InputRequested, one at
//            a time, once no call is running.
//   running --ToolCompleted/ToolFailed/TimerFired--> when every call is done: tool results
//            appended to the transcript, CallLlm again.
//   waiting_for_input --MessageReceived--> the answer (or the approval / denial) of the open call.
//   sleeping: only timers are pending.  Any --LlmFailed--> failed.  Any --SessionCancelled--> cancelled.
//
// Budgets end a runaway loop: policies.max_steps_per_turn (LLM calls + tool calls),
// max_tokens_per_turn and turn_timeout (wall time excluding waits for a human and sleeps).
// A message that arrives while a turn runs is queued and starts the next turn.
//
// Decision events (LlmRequested, ToolRequested, ...) must match the outbox head: the commands
// this decider emitted earlier. A mismatch is a divergence: the history was produced by a
// different decider or definition (replay reports it; the live executor treats it as a bug).

#include <optional>
#include <string>
#include <vector>

#include "core/decider/session_state.hpp"
#include "core/model/command.hpp"
#include "core/model/definition.hpp"
#include "core/model/event.hpp"

namespace agentrt {

struct Decision {
  std::vector<Command> commands;          // to record, in order, as events
  std::optional<std::string> divergence;  // set when a decision event does not match the outbox
};

// Applies `event` to `state` in place (state' replaces state: copying the transcript for every
// event would make replay quadratic) and returns the new commands, also queued in state.outbox.
Decision decide(SessionState& state, const Event& event, const AgentDefinition& definition);

// The model request for the current state: system prompt + transcript, tools as OpenAI specs.
// Both apply the session's patches (state.patches; core/definition/effective_definition.hpp).
nlohmann::json llm_messages(const SessionState& state, const AgentDefinition& definition);
nlohmann::json llm_tool_specs(const SessionState& state, const AgentDefinition& definition);
// The base definition's tools, for a session without patch markers.
nlohmann::json llm_tool_specs(const AgentDefinition& definition);

// True when an approval answer means yes ("y", "yes", "approve", "approved", "ok"; any case).
bool is_approval(std::string_view answer);

}  // namespace agentrt
