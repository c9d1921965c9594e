#pragma once
// An event is an immutable, numbered record in a session's history. The payload is JSON so
// the history is readable, exportable and forward compatible; docs/events.md lists each
// type's fields. Time enters the core only through `time_ms` (wall clock, set on append).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/model/ids.hpp"

namespace agentrt {

enum class EventType {
  SessionStarted,    // {org, bot, definition_hash, definition_name, definition_version}
  MessageReceived,   // {message_id, text}
  LlmRequested,      // {step}
  LlmCompleted,      // {content, tool_calls:[{id,name,arguments}], tokens_in, tokens_out, finish_reason}
  LlmFailed,         // {error}
  ToolRequested,     // {call_id, name, arguments}          idempotency key = <session>:<this seq>
  ToolCompleted,     // {call_id, output, attempts}
  ToolFailed,        // {call_id, error, attempts}
  InputRequested,    // {call_id, kind: "question"|"approval", prompt}
  TimerStarted,      // {call_id, duration_ms}                due = time_ms + duration_ms
  TimerFired,        // {call_id}
  OutputEmitted,     // {text}
  TurnCompleted,     // {turn}
  SessionCompleted,  // {}
  SessionFailed,     // {reason}
  SessionCancelled,  // {reason, by, mode: "cancel"|"terminate"}
  Marker,            // {patch}: this session takes the definition's branch for that patch id
  SessionReset,      // {to_seq, archived_branch, by, reason}: history after to_seq was archived
  SessionRetried,    // {by, reason}: a failed session runs its turn again
};

std::string_view event_type_name(EventType t) noexcept;
std::optional<EventType> parse_event_type(std::string_view name) noexcept;

struct Event {
  EventSeq seq;
  EventType type = EventType::SessionStarted;
  std::int64_t time_ms = 0;  // wall-clock milliseconds since the Unix epoch
  nlohmann::json data = nlohmann::json::object();
};

// Stable JSON form: {"seq":N,"type":"ToolRequested","time_ms":T,"data":{...}}.
nlohmann::json to_json(const Event& e);
// Throws nlohmann::json::exception on a malformed document.
Event event_from_json(const nlohmann::json& j);

}  // namespace agentrt
