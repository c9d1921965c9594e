#include "core/model/event.hpp"

#include <array>
#include <utility>

namespace agentrt {
namespace {

constexpr std::array<std::pair<EventType, std::string_view>, 19> kNames{{
    {EventType::SessionStarted, "SessionStarted"},
    {EventType::MessageReceived, "MessageReceived"},
    {EventType::LlmRequested, "LlmRequested"},
    {EventType::LlmCompleted, "LlmCompleted"},
    {EventType::LlmFailed, "LlmFailed"},
    {EventType::ToolRequested, "ToolRequested"},
    {EventType::ToolCompleted, "ToolCompleted"},
    {EventType::ToolFailed, "ToolFailed"},
    {EventType::InputRequested, "InputRequested"},
    {EventType::TimerStarted, "TimerStarted"},
    {EventType::TimerFired, "TimerFired"},
    {EventType::OutputEmitted, "OutputEmitted"},
    {EventType::TurnCompleted, "TurnCompleted"},
    {EventType::SessionCompleted, "SessionCompleted"},
    {EventType::SessionFailed, "SessionFailed"},
    {EventType::SessionCancelled, "SessionCancelled"},
    {EventType::Marker, "Marker"},
    {EventType::SessionReset, "SessionReset"},
    {EventType::SessionRetried, "SessionRetried"},
}};

}  // namespace

std::string_view event_type_name(EventType t) noexcept {
  for (const auto& [type, name] : kNames) {
    if (type == t) return name;
  }
  return "Unknown";
}

std::optional<EventType> parse_event_type(std::string_view name) noexcept {
  for (const auto& [type, n] : kNames) {
    if (n == name) return type;
  }
  return std::nullopt;
}

nlohmann::json to_json(const Event& e) {
  return nlohmann::json{{"seq", e.seq.value}, {"type", event_type_name(e.type)}, {"time_ms", e.time_ms}, {"data", e.data}};
}

Event event_from_json(const nlohmann::json& j) {
  Event e;
  e.seq = EventSeq{j.at("seq").get<std::int64_t>()};
  const auto type_name = j.at("type").get<std::string>();
  const auto type = parse_event_type(type_name);
  if (!type) {
    throw nlohmann::json::other_error::create(501, "unknown event type '" + type_name + "'", &j);
  }
  e.type = *type;
  e.time_ms = j.value("time_ms", std::int64_t{0});
  e.data = j.value("data", nlohmann::json::object());
  return e;
}

}  // namespace agentrt
