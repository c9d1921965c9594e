#pragma once
// `agentrt inspect --stuck`: a session that should be moving and is not, with a one-line
// diagnosis and the command that fixes it. The four situations (docs/inspect.md):
//   owner_gone         running, but no live owner holds the lease (process killed, lease
//                      expired, never claimed): nothing will finish the turn.
//   tool_timeout       running with a live owner, but a tool call has been in flight longer
//                      than timeout x attempts + backoff (+ grace): the owner is wedged.
//   timer_overdue      sleeping, the timer's due time passed more than `timer_grace` ago and
//                      no live owner will fire it.
//   inbox_not_drained  idle or waiting for input, with a message older than `inbox_age` that
//                      nobody turned into a MessageReceived.
// At most one diagnosis per session, in that order: the first is the one to act on.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/inspect/owner_liveness.hpp"
#include "core/inspect/session_why.hpp"
#include "core/model/session.hpp"

namespace agentrt {

enum class StuckKind { owner_gone, tool_timeout, timer_overdue, inbox_not_drained };
std::string_view stuck_kind_name(StuckKind k) noexcept;

struct StuckThresholds {
  std::int64_t inbox_age_ms = 30'000;   // a pending message older than this is not being drained
  std::int64_t timer_grace_ms = 5'000;  // a timer this late is overdue
  std::int64_t tool_grace_ms = 5'000;   // slack on top of a tool call's budget
};

struct StuckFacts {
  SessionRecord record;
  std::optional<Lease> lease;           // nullopt: the store keeps no leases
  OwnerAssessment owner;                // of `lease`
  std::optional<InboxMessage> oldest_pending;
  std::size_t pending_count = 0;
  std::vector<ToolInFlight> tools;      // running sessions: the calls in flight
};

struct StuckDiagnosis {
  StuckKind kind = StuckKind::owner_gone;
  std::string diagnosis;    // one line, no secrets
  std::string fix;          // the command to run
  std::string alternative;  // another command, when one fits (may be empty)
};

// `db_path` goes into the fix commands (shell-quoted when needed).
std::optional<StuckDiagnosis> diagnose_stuck(const StuckFacts& facts, std::int64_t now_ms,
                                             const StuckThresholds& thresholds, std::string_view db_path);

// `agentrt run --session ID --db PATH`: resumes (takes the lease over, redoes what was in flight
// with the same idempotency keys, drains the inbox, fires due timers).
std::string resume_command(std::string_view session, std::string_view db_path);
// `agentrt session terminate ID --reason "..." --db PATH`.
std::string terminate_command(std::string_view session, std::string_view reason, std::string_view db_path);
// A word as POSIX sh reads it: unchanged when safe, else single-quoted.
std::string shell_quote(std::string_view word);

}  // namespace agentrt
