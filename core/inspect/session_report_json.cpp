#include "core/inspect/excerpt.hpp"
#include "core/inspect/session_report.hpp"
#include "core/inspect/time_format.hpp"

namespace agentrt {
namespace {

using json = nlohmann::json;

json session_json(const SessionReport& r) {
  const auto& s = r.record;
  json j{{"id", s.id.str()},
         {"org", s.org.str()},
         {"bot", s.bot.str()},
         {"status", session_status_name(s.status)},
         {"status_since_ms", r.status_since_ms},
         {"status_since", format_utc(r.status_since_ms)},
         {"created_ms", s.created_ms},
         {"updated_ms", s.updated_ms},
         {"last_seq", s.last_seq.value},
         {"epoch", s.epoch.value},
         {"wake_at_ms", nullptr}};
  if (s.wake_at_ms) j["wake_at_ms"] = *s.wake_at_ms;
  return j;
}

json why_json(const SessionWhy& w, std::int64_t now_ms) {
  json j{{"summary", w.summary},
         {"waiting_for", nullptr},
         {"timers", json::array()},
         {"llm_in_flight", nullptr},
         {"tools_in_flight", json::array()},
         {"last_error", nullptr}};
  if (w.waiting) {
    j["waiting_for"] = {{"call_id", w.waiting->call_id}, {"tool", w.waiting->tool},   {"kind", w.waiting->kind},
                        {"prompt", w.waiting->prompt},   {"seq", w.waiting->seq},     {"since_ms", w.waiting->since_ms}};
  }
  for (const auto& t : w.timers) {
    j["timers"].push_back({{"call_id", t.call_id}, {"seq", t.seq}, {"due_ms", t.due_ms}});
  }
  if (w.llm) {
    j["llm_in_flight"] = {{"seq", w.llm->seq},
                          {"since_ms", w.llm->since_ms},
                          {"elapsed_ms", now_ms - w.llm->since_ms},
                          {"turn", w.llm->turn},
                          {"step", w.llm->step}};
  }
  for (const auto& t : w.tools) {
    j["tools_in_flight"].push_back({{"call_id", t.call_id},
                                    {"name", t.name},
                                    {"seq", t.seq},
                                    {"since_ms", t.since_ms},
                                    {"elapsed_ms", now_ms - t.since_ms},
                                    {"timeout_ms", t.timeout_ms},
                                    {"attempts", t.attempts},
                                    {"budget_ms", t.budget_ms}});
  }
  if (w.last_error) {
    j["last_error"] = {{"seq", w.last_error->seq},
                       {"time_ms", w.last_error->time_ms},
                       {"type", w.last_error->type},
                       {"message", w.last_error->message}};
  }
  if (!w.failure_reason.empty()) j["failure_reason"] = w.failure_reason;
  if (!w.cancellation.is_null()) j["cancellation"] = w.cancellation;
  return j;
}

}  // namespace

json lease_to_json(const std::optional<Lease>& lease, const OwnerAssessment& owner, std::int64_t now_ms) {
  if (!lease) return nullptr;
  return {{"owner", lease->owner.empty() ? json(nullptr) : json(lease->owner)},
          {"epoch", lease->epoch.value},
          {"expires_ms", lease->expires_ms},
          {"expired", !lease->owner.empty() && lease->expires_ms <= now_ms},
          {"owner_state", owner_state_name(owner.state)},
          {"owner_alive", owner.alive()},
          {"reason", owner.reason}};
}

json stuck_to_json(const StuckDiagnosis& stuck) {
  return {{"kind", stuck_kind_name(stuck.kind)},
          {"diagnosis", stuck.diagnosis},
          {"fix", stuck.fix},
          {"alternative", stuck.alternative.empty() ? json(nullptr) : json(stuck.alternative)}};
}

json report_to_json(const SessionReport& r, bool with_timeline) {
  json j{{"format", kInspectFormat},
         {"now_ms", r.now_ms},
         {"session", session_json(r)},
         {"definition",
          {{"name", r.definition_name}, {"version", r.definition_version}, {"hash", r.record.definition_hash}}}};
  if (!r.trace_id.empty()) j["trace_id"] = r.trace_id;
  j["why"] = why_json(r.why, r.now_ms);
  j["lease"] = lease_to_json(r.lease, r.owner, r.now_ms);
  json messages = json::array();
  for (const auto& m : r.pending) {
    messages.push_back(
        {{"message_id", m.id.str()}, {"text", truncate_text(m.text, kDataStringBytesMax)}, {"enqueued_ms", m.enqueued_ms}});
  }
  j["inbox"] = {{"pending", r.pending.size()}, {"messages", std::move(messages)}};
  j["tokens"] = {{"in", r.tokens_in}, {"out", r.tokens_out}};
  j["history_problem"] = r.history_problem ? json(*r.history_problem) : json(nullptr);
  j["stuck"] = r.stuck ? stuck_to_json(*r.stuck) : json(nullptr);
  if (with_timeline) {
    json timeline = json::array();
    for (const auto& e : r.timeline) timeline.push_back(to_json(e));
    j["timeline"] = std::move(timeline);
  }
  return j;
}

}  // namespace agentrt
