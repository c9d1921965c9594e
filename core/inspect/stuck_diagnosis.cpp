#include "core/inspect/stuck_diagnosis.hpp"

#include <algorithm>
#include <cctype>

#include "core/inspect/time_format.hpp"

namespace agentrt {
namespace {

std::string owner_clause(const StuckFacts& f) {
  if (!f.lease || f.lease->owner.empty()) return "no owner holds its lease";
  return "its owner " + f.lease->owner + " is not alive (" + f.owner.reason + ")";
}

std::optional<StuckDiagnosis> owner_gone(const StuckFacts& f, std::int64_t now_ms, std::string_view db) {
  if (f.record.status != SessionStatus::running || !f.lease || f.owner.alive()) return std::nullopt;
  std::string text = "running, but " + owner_clause(f) + "; last event " +
                     format_relative(f.record.updated_ms, now_ms);
  if (!f.tools.empty()) {
    text += "; " + std::to_string(f.tools.size()) + " tool call(s) in flight (" + f.tools.front().name + " " +
            f.tools.front().call_id + ") will be retried with the same Idempotency-Key";
  }
  return StuckDiagnosis{StuckKind::owner_gone, std::move(text), resume_command(f.record.id.str(), db),
                        terminate_command(f.record.id.str(), "owner gone, abandoning the session", db)};
}

std::optional<StuckDiagnosis> tool_timeout(const StuckFacts& f, std::int64_t now_ms, const StuckThresholds& t,
                                           std::string_view db) {
  if (f.record.status != SessionStatus::running) return std::nullopt;
  for (const auto& call : f.tools) {
    if (call.budget_ms <= 0) continue;  // a tool the definition does not know: no budget to judge by
    const auto elapsed = now_ms - call.since_ms;
    if (elapsed <= call.budget_ms + t.tool_grace_ms) continue;
    std::string text = "tool call " + call.name + " (" + call.call_id + ", seq " + std::to_string(call.seq) +
                       ") in flight for " + format_duration(elapsed) + ", past its budget of " +
                       format_duration(call.budget_ms) + " (timeout " + format_duration(call.timeout_ms) + " x " +
                       std::to_string(call.attempts) + " attempts + backoff)";
    text += f.lease && !f.lease->owner.empty() ? "; owner " + f.lease->owner + " looks wedged (" + f.owner.reason + ")"
                                               : "";
    return StuckDiagnosis{StuckKind::tool_timeout, std::move(text), resume_command(f.record.id.str(), db),
                          terminate_command(f.record.id.str(), "tool call " + call.call_id + " past its timeout", db)};
  }
  return std::nullopt;
}

std::optional<StuckDiagnosis> timer_overdue(const StuckFacts& f, std::int64_t now_ms, const StuckThresholds& t,
                                            std::string_view db) {
  if (f.record.status != SessionStatus::sleeping || !f.record.wake_at_ms || f.owner.alive()) return std::nullopt;
  const auto late = now_ms - *f.record.wake_at_ms;
  if (late <= t.timer_grace_ms) return std::nullopt;
  std::string text = "sleeping, timer due at " + format_utc(*f.record.wake_at_ms) + " is overdue by " +
                     format_duration(late) + " and " + owner_clause(f);
  return StuckDiagnosis{StuckKind::timer_overdue, std::move(text), resume_command(f.record.id.str(), db), ""};
}

std::optional<StuckDiagnosis> inbox_not_drained(const StuckFacts& f, std::int64_t now_ms, const StuckThresholds& t,
                                                std::string_view db) {
  const auto s = f.record.status;
  if ((s != SessionStatus::idle && s != SessionStatus::waiting_for_input) || !f.oldest_pending) return std::nullopt;
  const auto age = now_ms - f.oldest_pending->enqueued_ms;
  if (age <= t.inbox_age_ms) return std::nullopt;
  std::string text = std::string(session_status_name(s)) + " with " + std::to_string(f.pending_count) +
                     (f.pending_count == 1 ? " message" : " messages") + " not drained from the inbox; oldest (" +
                     f.oldest_pending->id.str() + ") enqueued " + format_relative(f.oldest_pending->enqueued_ms, now_ms);
  if (f.lease && !f.lease->owner.empty()) text += "; lease owner " + f.lease->owner + " (" + f.owner.reason + ")";
  return StuckDiagnosis{StuckKind::inbox_not_drained, std::move(text), resume_command(f.record.id.str(), db), ""};
}

bool is_shell_safe(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("-_./:=@%+,").find(c) != std::string_view::npos;
}

}  // namespace

std::string_view stuck_kind_name(StuckKind k) noexcept {
  switch (k) {
    case StuckKind::owner_gone:
      return "owner_gone";
    case StuckKind::tool_timeout:
      return "tool_timeout";
    case StuckKind::timer_overdue:
      return "timer_overdue";
    case StuckKind::inbox_not_drained:
      return "inbox_not_drained";
  }
  return "unknown";
}

std::optional<StuckDiagnosis> diagnose_stuck(const StuckFacts& facts, std::int64_t now_ms,
                                             const StuckThresholds& thresholds, std::string_view db_path) {
  if (auto d = owner_gone(facts, now_ms, db_path)) return d;
  if (auto d = tool_timeout(facts, now_ms, thresholds, db_path)) return d;
  if (auto d = timer_overdue(facts, now_ms, thresholds, db_path)) return d;
  return inbox_not_drained(facts, now_ms, thresholds, db_path);
}

std::string shell_quote(std::string_view word) {
  if (!word.empty() && std::all_of(word.begin(), word.end(), is_shell_safe)) return std::string(word);
  std::string quoted = "'";
  for (const char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string resume_command(std::string_view session, std::string_view db_path) {
  return "agentrt run --session " + shell_quote(session) + " --db " + shell_quote(db_path);
}

std::string terminate_command(std::string_view session, std::string_view reason, std::string_view db_path) {
  return "agentrt session terminate " + shell_quote(session) + " --reason " + shell_quote(reason) + " --db " +
         shell_quote(db_path);
}

}  // namespace agentrt
