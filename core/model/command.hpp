#pragma once
// A command is what the decider asks for. Each command is recorded as exactly one event of the
// same type and data *before* anything acts on it (write-ahead), so a command and its event
// are one record: the executor appends {type, data}, then performs the I/O for the types that
// need it (LlmRequested, ToolRequested, TimerStarted). Replay compares commands with the
// recorded events to find the first divergence.

#include <nlohmann/json.hpp>

#include "core/model/event.hpp"

namespace agentrt {

struct Command {
  EventType type = EventType::LlmRequested;
  nlohmann::json data = nlohmann::json::object();

  friend bool operator==(const Command&, const Command&) = default;
};

// True for event types that record a decision (they come from a Command); false for events
// that bring a result or an input from outside (MessageReceived, LlmCompleted, ToolCompleted...).
constexpr bool is_decision_event(EventType t) {
  switch (t) {
    case EventType::LlmRequested:
    case EventType::ToolRequested:
    case EventType::InputRequested:
    case EventType::TimerStarted:
    case EventType::OutputEmitted:
    case EventType::TurnCompleted:
    case EventType::SessionCompleted:
    case EventType::SessionFailed:
      return true;
    default:
      return false;
  }
}

}  // namespace agentrt
