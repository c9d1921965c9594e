#pragma once
// `agentrt inspect sessions` and `agentrt inspect --stuck`: one row per session, as a table for
// a person or a JSON array for scripts (fields in docs/inspect.md).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/inspect/stuck_diagnosis.hpp"
#include "core/model/session.hpp"

namespace agentrt {

struct SessionListRow {
  SessionRecord record;
  std::optional<Event> last_event;  // without data: type, seq and time are what is shown
  std::string definition_name;      // empty when the definition could not be read
  int definition_version = 0;
};

nlohmann::json session_list_to_json(const std::vector<SessionListRow>& rows);
std::string render_session_table(const std::vector<SessionListRow>& rows, std::int64_t now_ms);

struct StuckRow {
  SessionRecord record;
  StuckDiagnosis diagnosis;
};

nlohmann::json stuck_list_to_json(const std::vector<StuckRow>& rows);
// Per session: "<id>  <status>  <kind>: <diagnosis>" then "    fix: <command>".
std::string render_stuck_list(const std::vector<StuckRow>& rows, std::size_t examined);

}  // namespace agentrt
