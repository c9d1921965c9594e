#include <cstdio>
#include <sstream>

#include "core/inspect/excerpt.hpp"
#include "core/inspect/session_report.hpp"
#include "core/inspect/time_format.hpp"

namespace agentrt {
namespace {

void lease_lines(std::ostream& out, const SessionReport& r) {
  if (!r.lease) {
    out << "lease:      (this store keeps no leases)\n";
    return;
  }
  if (r.lease->owner.empty()) {
    out << "lease:      free (epoch " << r.lease->epoch.value << ")\n";
    return;
  }
  out << "lease:      " << r.lease->owner << ", epoch " << r.lease->epoch.value << ", expires "
      << format_utc(r.lease->expires_ms) << " (" << format_relative(r.lease->expires_ms, r.now_ms) << ")\n";
  out << "owner:      " << (r.owner.alive() ? "alive" : std::string(owner_state_name(r.owner.state))) << ": "
      << r.owner.reason << '\n';
}

void inbox_lines(std::ostream& out, const SessionReport& r) {
  if (r.pending.empty()) {
    out << "inbox:      empty\n";
    return;
  }
  out << "inbox:      " << r.pending.size() << " pending\n";
  constexpr std::size_t kShown = 5;
  for (std::size_t i = 0; i < r.pending.size() && i < kShown; ++i) {
    const auto& m = r.pending[i];
    out << "            " << m.id.str() << "  enqueued " << format_utc(m.enqueued_ms) << " ("
        << format_relative(m.enqueued_ms, r.now_ms) << ")  " << quoted_excerpt(m.text, 100) << '\n';
  }
  if (r.pending.size() > kShown) out << "            ... and " << r.pending.size() - kShown << " more\n";
}

void why_lines(std::ostream& out, const SessionReport& r) {
  out << "why:        " << r.why.summary << '\n';
  for (const auto& t : r.why.tools) {
    out << "            tool " << t.name << " " << t.call_id << " (Idempotency-Key " << r.record.id.str() << ":" << t.seq
        << ") in flight since " << format_utc(t.since_ms) << " (" << format_duration(r.now_ms - t.since_ms) << ")";
    if (t.budget_ms > 0) out << ", budget " << format_duration(t.budget_ms);
    out << '\n';
  }
  if (r.why.last_error) {
    const auto& e = *r.why.last_error;
    out << "last error: " << e.type << " at seq " << e.seq << ", " << format_relative(e.time_ms, r.now_ms) << ": "
        << e.message << '\n';
  }
}

}  // namespace

std::string render_timeline_row(const TimelineEntry& entry, std::int64_t previous_ms) {
  std::ostringstream out;
  if (previous_ms == 0 || format_date(previous_ms) != format_date(entry.time_ms)) {
    out << "  -- " << format_date(entry.time_ms) << " (UTC) --\n";
  }
  char head[64];
  std::snprintf(head, sizeof head, "%6lld  %s  ", static_cast<long long>(entry.seq), format_clock(entry.time_ms).c_str());
  out << head;
  const std::string took = entry.duration_ms ? format_duration(*entry.duration_ms) : "";
  out << std::string(took.size() < 8 ? 8 - took.size() : 0, ' ') << took << "  ";
  const std::string type(event_type_name(entry.type));
  out << type << std::string(type.size() < 17 ? 17 - type.size() : 1, ' ') << entry.summary << '\n';
  return out.str();
}

std::string render_report(const SessionReport& r) {
  std::ostringstream out;
  const auto& s = r.record;
  out << "session:    " << s.id.str() << "  (org " << s.org.str() << ", bot " << s.bot.str() << ")\n";
  out << "status:     " << session_status_name(s.status) << " since " << format_utc(r.status_since_ms) << " ("
      << format_relative(r.status_since_ms, r.now_ms) << ")\n";
  why_lines(out, r);
  if (r.stuck) {
    out << "STUCK:      " << stuck_kind_name(r.stuck->kind) << ": " << r.stuck->diagnosis << '\n';
    out << "fix:        " << r.stuck->fix << '\n';
    if (!r.stuck->alternative.empty()) out << "or:         " << r.stuck->alternative << '\n';
  }
  lease_lines(out, r);
  inbox_lines(out, r);
  out << "definition: " << (r.definition_name.empty() ? "?" : r.definition_name) << " v" << r.definition_version
      << " (hash " << s.definition_hash << ")\n";
  if (!r.trace_id.empty()) out << "trace:      " << r.trace_id << '\n';
  out << "tokens:     " << r.tokens_in << " in, " << r.tokens_out << " out\n";
  out << "events:     " << s.last_seq.value << ", created " << format_utc(s.created_ms) << ", last "
      << format_utc(s.updated_ms) << " (" << format_relative(s.updated_ms, r.now_ms) << ")\n";
  if (r.history_problem) out << "WARNING:    " << *r.history_problem << '\n';
  out << "\ntimeline:\n";
  std::int64_t previous = 0;
  for (const auto& e : r.timeline) {
    out << render_timeline_row(e, previous);
    previous = e.time_ms;
  }
  return out.str();
}

}  // namespace agentrt
