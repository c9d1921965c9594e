#include "core/inspect/session_report.hpp"

#include "core/inspect/redaction.hpp"

namespace agentrt {

SessionInspector::SessionInspector(std::optional<AgentDefinition> definition, std::string definition_error)
    : definition_error_(std::move(definition_error)) {
  if (definition) {
    definition_ = std::make_unique<AgentDefinition>(std::move(*definition));
    folder_ = std::make_unique<HistoryFolder>(*definition_);
  }
}

std::vector<TimelineEntry> SessionInspector::add_events(const std::vector<Event>& events) {
  std::vector<TimelineEntry> added;
  for (const auto& e : events) {
    if (e.seq.value <= last_seq()) continue;  // already seen (a re-read page)
    if (folder_) folder_->add(e);
    events_.push_back(e);
    added.push_back(timeline_builder_.add(e));
    timeline_.push_back(added.back());
  }
  return added;
}

SessionReport SessionInspector::report(const Live& live, std::int64_t now_ms, const StuckThresholds& thresholds,
                                       std::string_view db_path) const {
  SessionReport r;
  r.now_ms = now_ms;
  r.record = live.record;
  r.lease = live.lease;
  r.owner = live.owner;
  for (auto m : live.pending) {
    m.text = redact_text(m.text);
    r.pending.push_back(std::move(m));
  }
  if (!events_.empty() && events_.front().type == EventType::SessionStarted) {
    const auto& started = events_.front().data;
    r.definition_name = started.value("definition_name", std::string{});
    r.definition_version = started.value("definition_version", 0);
    r.trace_id = trace_id_of(started);
  }
  if (definition_) {
    r.definition_name = definition_->name;
    r.definition_version = definition_->version;
  }

  const SessionState empty_state;
  const SessionState& state = folder_ ? folder_->state() : empty_state;
  r.status_since_ms = folder_ && folder_->status_since_ms() > 0 ? folder_->status_since_ms() : live.record.updated_ms;
  if (!folder_) {
    r.history_problem = "the pinned definition cannot be read (" + definition_error_ + "); the history is not folded";
  } else if (folder_->problem()) {
    r.history_problem = *folder_->problem();
  }
  r.tokens_in = state.tokens_in_total;
  r.tokens_out = state.tokens_out_total;
  r.why = explain_session(live.record.status, r.status_since_ms, state, events_, definition_.get(), live.pending.size(),
                          now_ms);

  StuckFacts facts;
  facts.record = live.record;
  facts.lease = live.lease;
  facts.owner = live.owner;
  facts.pending_count = live.pending.size();
  if (!live.pending.empty()) facts.oldest_pending = live.pending.front();
  facts.tools = r.why.tools;
  r.stuck = diagnose_stuck(facts, now_ms, thresholds, db_path);
  r.timeline = timeline_;
  return r;
}

}  // namespace agentrt
