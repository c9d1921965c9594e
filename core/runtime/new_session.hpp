#pragma once
// What a new session starts with, the same for `agentrt run` and the serve API: its record
// and its first events, SessionStarted then one Marker per patch of its definition (a new
// session takes every branch its definition knows: docs/versioning.md).

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/definition.hpp"
#include "core/model/event.hpp"
#include "core/model/ids.hpp"
#include "core/model/session.hpp"
#include "core/trace/trace_context.hpp"

namespace agentrt {

struct NewSession {
  SessionRecord record;
  nlohmann::json info;             // the SessionStarted data: org, bot, definition hash/name/version
  std::vector<Event> first_events;
};

// `trace`: the session's trace context (recorded as SessionStarted's traceparent/tracestate, so
// every worker continues that trace); absent for sessions started without tracing.
NewSession new_session(SessionId id, OrgId org, BotId bot, const AgentDefinition& definition, std::int64_t now_ms,
                       const std::optional<TraceContext>& trace = std::nullopt);

}  // namespace agentrt
