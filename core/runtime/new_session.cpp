#include "core/runtime/new_session.hpp"

#include <utility>

#include "core/definition/effective_definition.hpp"

namespace agentrt {

NewSession new_session(SessionId id, OrgId org, BotId bot, const AgentDefinition& definition, std::int64_t now_ms,
                       const std::optional<TraceContext>& trace) {
  NewSession s;
  s.record.id = std::move(id);
  s.record.org = std::move(org);
  s.record.bot = std::move(bot);
  s.record.definition_hash = definition.content_hash;
  s.record.created_ms = s.record.updated_ms = now_ms;
  s.info = {{"org", s.record.org.str()},
            {"bot", s.record.bot.str()},
            {"definition_hash", s.record.definition_hash},
            {"definition_name", definition.name},
            {"definition_version", definition.version}};
  if (trace) {
    s.info["traceparent"] = trace->traceparent();
    if (!trace->tracestate.empty()) s.info["tracestate"] = trace->tracestate;
  }
  s.first_events.push_back(Event{EventSeq{1}, EventType::SessionStarted, now_ms, s.info});
  for (const auto& patch : patch_marker_ids(definition)) {
    const EventSeq seq{static_cast<std::int64_t>(s.first_events.size()) + 1};
    s.first_events.push_back(Event{seq, EventType::Marker, now_ms, {{"patch", patch}}});
  }
  return s;
}

}  // namespace agentrt
