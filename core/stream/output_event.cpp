#include "core/stream/output_event.hpp"

#include <utility>

namespace agentrt {
namespace {

using json = nlohmann::json;

// Copies the named fields of `from` that are present: absent ones stay absent rather than null,
// so an older history (fewer fields) streams what it has.
json pick(const json& from, std::initializer_list<const char*> names) {
  json out = json::object();
  if (!from.is_object()) return out;
  for (const char* name : names) {
    if (const auto it = from.find(name); it != from.end()) out[name] = *it;
  }
  return out;
}

OutputEvent make(const Event& event, std::string kind, json data) {
  return OutputEvent{event.seq.value, std::move(kind), std::move(data), true};
}

json status(std::string_view name, const json& details) {
  json out = details;
  out["status"] = name;
  return out;
}

}  // namespace

std::optional<OutputEvent> output_event_of(const Event& event) {
  const json& d = event.data;
  switch (event.type) {
    case EventType::MessageReceived:
      return make(event, "message", pick(d, {"message_id", "text"}));
    case EventType::ToolRequested:
      return make(event, "tool_started", pick(d, {"call_id", "name", "arguments"}));
    case EventType::ToolCompleted: {
      json out = pick(d, {"call_id", "output", "attempts"});
      out["ok"] = true;
      return make(event, "tool_finished", std::move(out));
    }
    case EventType::ToolFailed: {
      json out = pick(d, {"call_id", "error", "attempts"});
      out["ok"] = false;
      return make(event, "tool_finished", std::move(out));
    }
    case EventType::InputRequested:
      return make(event, "waiting", pick(d, {"call_id", "kind", "tool", "prompt"}));
    case EventType::TimerStarted: {
      json out = status("sleeping", pick(d, {"call_id"}));
      if (d.contains("duration_ms") && d["duration_ms"].is_number_integer()) {
        out["due_ms"] = event.time_ms + d["duration_ms"].get<std::int64_t>();
      }
      return make(event, "status", std::move(out));
    }
    case EventType::TimerFired:
      return make(event, "status", status("running", pick(d, {"call_id"})));
    case EventType::OutputEmitted:
      return make(event, "output", pick(d, {"text"}));
    case EventType::TurnCompleted:
      return make(event, "turn_completed", pick(d, {"turn"}));
    case EventType::SessionCompleted:
      return make(event, "status", status("completed", json::object()));
    case EventType::SessionFailed:
      return make(event, "status", status("failed", pick(d, {"reason"})));
    case EventType::SessionCancelled:
      return make(event, "status", status("cancelled", pick(d, {"reason", "mode"})));
    case EventType::SessionRetried:
      return make(event, "status", status("running", pick(d, {"reason"})));
    case EventType::SessionReset:
      return make(event, "reset", pick(d, {"to_seq", "reason"}));
    case EventType::SessionStarted:
    case EventType::LlmRequested:
    case EventType::LlmCompleted:
    case EventType::LlmFailed:
    case EventType::Marker:
      return std::nullopt;
  }
  return std::nullopt;
}

OutputEvent token_event(std::int64_t after_seq, std::string_view text) {
  return OutputEvent{after_seq, "token", json{{"text", std::string(text)}}, false};
}

json to_json(const OutputEvent& event) {
  json out = event.data.is_object() ? event.data : json{{"value", event.data}};
  out["seq"] = event.seq;
  out["kind"] = event.kind;
  return out;
}

std::size_t approximate_bytes(const OutputEvent& event) {
  // The data's own size is what grows; a fixed overhead stands for the envelope. dump() is
  // not cheap, so tokens (the hot path) count their text instead.
  constexpr std::size_t kEnvelope = 48;
  if (!event.durable) {
    const auto it = event.data.find("text");
    if (it != event.data.end() && it->is_string()) return kEnvelope + it->get_ref<const std::string&>().size();
  }
  return kEnvelope + event.kind.size() + event.data.dump().size();
}

}  // namespace agentrt
