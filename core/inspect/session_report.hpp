#pragma once
// Everything `agentrt inspect SESSION` shows, computed from what the CLI read from the store:
// status and why, lease and owner liveness, inbox, definition, tokens, stuck diagnosis and the
// timeline. report_to_json() is the stable `--json` document (docs/inspect.md, format
// "agentrt.inspect/1"); render_report() the text for a person.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/inspect/history_fold.hpp"
#include "core/inspect/owner_liveness.hpp"
#include "core/inspect/session_why.hpp"
#include "core/inspect/stuck_diagnosis.hpp"
#include "core/inspect/timeline.hpp"
#include "core/model/definition.hpp"
#include "core/model/session.hpp"

namespace agentrt {

inline constexpr std::string_view kInspectFormat = "agentrt.inspect/1";

struct SessionReport {
  std::int64_t now_ms = 0;
  SessionRecord record;
  std::int64_t status_since_ms = 0;
  std::string definition_name;
  int definition_version = 0;
  std::string trace_id;                    // empty: none recorded
  SessionWhy why;
  std::optional<Lease> lease;              // nullopt: the store keeps no leases
  OwnerAssessment owner;
  std::vector<InboxMessage> pending;       // texts redacted
  long long tokens_in = 0;
  long long tokens_out = 0;
  std::optional<std::string> history_problem;  // the history could not be folded completely
  std::optional<StuckDiagnosis> stuck;
  std::vector<TimelineEntry> timeline;
};

// Holds one session's folded history and timeline; fed events as they are read (all at once,
// or a few at a time under --follow).
class SessionInspector {
 public:
  // `definition`: the pinned definition, or nullopt with `definition_error` saying why not.
  SessionInspector(std::optional<AgentDefinition> definition, std::string definition_error);
  SessionInspector(const SessionInspector&) = delete;
  SessionInspector& operator=(const SessionInspector&) = delete;

  // Events in seq order, after those already added. Returns their timeline entries.
  std::vector<TimelineEntry> add_events(const std::vector<Event>& events);
  [[nodiscard]] std::int64_t last_seq() const { return events_.empty() ? 0 : events_.back().seq.value; }
  [[nodiscard]] const SessionState* state() const { return folder_ ? &folder_->state() : nullptr; }

  struct Live {  // what changes without an event: re-read at each refresh
    SessionRecord record;
    std::vector<InboxMessage> pending;
    std::optional<Lease> lease;
    OwnerAssessment owner;
  };
  [[nodiscard]] SessionReport report(const Live& live, std::int64_t now_ms, const StuckThresholds& thresholds,
                                     std::string_view db_path) const;

 private:
  std::unique_ptr<AgentDefinition> definition_;  // stable address: folder_ refers to it
  std::string definition_error_;
  std::unique_ptr<HistoryFolder> folder_;
  std::vector<Event> events_;
  std::vector<TimelineEntry> timeline_;
  TimelineBuilder timeline_builder_;
};

nlohmann::json report_to_json(const SessionReport& report, bool with_timeline = true);
nlohmann::json lease_to_json(const std::optional<Lease>& lease, const OwnerAssessment& owner, std::int64_t now_ms);
nlohmann::json stuck_to_json(const StuckDiagnosis& stuck);

// The text report: header block, why, lease, inbox, then the timeline.
std::string render_report(const SessionReport& report);
// One timeline row ("  12  14:02:03.120   1.2s  ToolCompleted  effect call_1 ..."); `previous_ms`
// (the row before's time, or 0) decides whether a date line is printed first.
std::string render_timeline_row(const TimelineEntry& entry, std::int64_t previous_ms);

}  // namespace agentrt
