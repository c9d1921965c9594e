#include "core/inspect/session_list.hpp"

#include "core/inspect/session_report.hpp"
#include "core/inspect/text_table.hpp"
#include "core/inspect/time_format.hpp"

namespace agentrt {

using json = nlohmann::json;

json session_list_to_json(const std::vector<SessionListRow>& rows) {
  json out = json::array();
  for (const auto& row : rows) {
    const auto& r = row.record;
    json j{{"id", r.id.str()},
           {"org", r.org.str()},
           {"bot", r.bot.str()},
           {"status", session_status_name(r.status)},
           {"since_ms", r.updated_ms},
           {"since", format_utc(r.updated_ms)},
           {"created_ms", r.created_ms},
           {"last_seq", r.last_seq.value},
           {"last_event", nullptr},
           {"wake_at_ms", r.wake_at_ms ? json(*r.wake_at_ms) : json(nullptr)},
           {"definition",
            {{"name", row.definition_name}, {"version", row.definition_version}, {"hash", r.definition_hash}}}};
    if (row.last_event) {
      j["last_event"] = {{"seq", row.last_event->seq.value},
                         {"type", event_type_name(row.last_event->type)},
                         {"time_ms", row.last_event->time_ms}};
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::string render_session_table(const std::vector<SessionListRow>& rows, std::int64_t now_ms) {
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : rows) {
    const auto& r = row.record;
    const std::string last = row.last_event ? std::string(event_type_name(row.last_event->type)) + " #" +
                                                  std::to_string(row.last_event->seq.value)
                                            : "-";
    const std::string definition = row.definition_name.empty()
                                       ? r.definition_hash.substr(0, 12)
                                       : row.definition_name + "@" + std::to_string(row.definition_version);
    cells.push_back({r.id.str(), r.org.str(), r.bot.str(), std::string(session_status_name(r.status)),
                     format_relative(r.updated_ms, now_ms), last, definition});
  }
  if (cells.empty()) return "no sessions match\n";
  return format_table({"ID", "ORG", "BOT", "STATUS", "SINCE", "LAST EVENT", "DEFINITION"}, cells);
}

json stuck_list_to_json(const std::vector<StuckRow>& rows) {
  json out = json::array();
  for (const auto& row : rows) {
    json j = stuck_to_json(row.diagnosis);
    j["session"] = row.record.id.str();
    j["org"] = row.record.org.str();
    j["bot"] = row.record.bot.str();
    j["status"] = session_status_name(row.record.status);
    out.push_back(std::move(j));
  }
  return out;
}

std::string render_stuck_list(const std::vector<StuckRow>& rows, std::size_t examined) {
  if (rows.empty()) return "no stuck sessions (" + std::to_string(examined) + " active sessions examined)\n";
  std::string out;
  for (const auto& row : rows) {
    out += row.record.id.str() + "  " + std::string(session_status_name(row.record.status)) + "  " +
           std::string(stuck_kind_name(row.diagnosis.kind)) + ": " + row.diagnosis.diagnosis + "\n";
    out += "    fix: " + row.diagnosis.fix + "\n";
    if (!row.diagnosis.alternative.empty()) out += "    or:  " + row.diagnosis.alternative + "\n";
  }
  out += std::to_string(rows.size()) + " stuck of " + std::to_string(examined) + " active sessions examined\n";
  return out;
}

}  // namespace agentrt
