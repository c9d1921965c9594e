// MemorySessions: reset (rewind with an archived branch) and the lease of each session. Like
// the rest of MemorySessions, every method checks first and changes only once nothing can fail.
#include <algorithm>
#include <utility>

#include "backends/memory/memory_sessions.hpp"

namespace agentrt::memory {
namespace {

std::string lease_op(std::string_view operation, const SessionId& id, const std::string& owner) {
  return std::string(operation) + " lease session=" + id.str() + " owner=" + owner;
}

Error not_found(std::string_view operation, const SessionId& id) {
  return Error{Errc::not_found, std::string(operation) + " session=" + id.str() + ": no such session"};
}

Result<void> check_owner(std::string_view operation, const SessionId& id, const std::string& owner,
                         std::optional<std::chrono::milliseconds> ttl) {
  if (owner.empty()) return Error{Errc::invalid, lease_op(operation, id, owner) + ": empty owner"};
  if (ttl && ttl->count() <= 0) {
    return Error{Errc::invalid,
                 lease_op(operation, id, owner) + ": ttl must be positive, got " + std::to_string(ttl->count()) + " ms"};
  }
  return ok_result();
}

// Why a lease change was refused: "held by w-1 (epoch 3) until 12345 ms", "not held (epoch 3)".
std::string describe(const Lease& lease, std::int64_t now_ms) {
  const std::string epoch = "epoch " + std::to_string(lease.epoch.value);
  if (lease.owner.empty()) return "not held (" + epoch + ")";
  const bool expired = lease.expires_ms <= now_ms;
  return (expired ? "expired lease of " : "held by ") + lease.owner + " (" + epoch + ") " +
         (expired ? "since " : "until ") + std::to_string(lease.expires_ms) + " ms";
}

Result<void> check_reset(const ResetRequest& request, EventSeq last_seq, LeaseEpoch epoch) {
  const std::string what = "reset session=" + request.session.str();
  const auto to = request.to_seq.value;
  if (request.epoch != epoch) {
    return Error{Errc::fenced, what + " seq=" + std::to_string(to + 1) + ": fenced (epoch " +
                                   std::to_string(request.epoch.value) + ", current " + std::to_string(epoch.value) + ")"};
  }
  if (to < 1 || to >= last_seq.value) {
    return Error{Errc::invalid, what + ": cannot reset to event " + std::to_string(to) + ": it must be between 1 and " +
                                    std::to_string(last_seq.value - 1) + " (the last event is " +
                                    std::to_string(last_seq.value) + ")"};
  }
  if (request.reset_event.type != EventType::SessionReset || request.reset_event.seq.value != to + 1) {
    return Error{Errc::invalid, what + ": the reset must append a SessionReset event at seq " + std::to_string(to + 1)};
  }
  return ok_result();
}

}  // namespace

Lease MemorySessions::current_lease(const SessionData& session) {
  Lease lease{session.record.id, {}, session.record.epoch, 0};
  if (!session.lease_owner.empty() && session.lease_epoch == session.record.epoch) {
    lease.owner = session.lease_owner;
    lease.expires_ms = session.lease_expires_ms;
  }
  return lease;
}

std::vector<RunnableSession> MemorySessions::find_runnable(std::int64_t now_ms, std::size_t limit) const {
  std::vector<RunnableSession> runnable;
  for (const auto& [id, session] : sessions_) {
    const auto& record = session.record;
    if (is_terminal(record.status)) continue;
    const auto lease = current_lease(session);
    if (!lease.owner.empty() && lease.expires_ms > now_ms) continue;
    std::optional<RunnableReason> reason;
    if (record.status == SessionStatus::running) reason = RunnableReason::interrupted;
    if (record.status == SessionStatus::sleeping && record.wake_at_ms && *record.wake_at_ms <= now_ms) {
      reason = RunnableReason::timer_due;
    }
    const bool pending = std::any_of(session.inbox.begin(), session.inbox.end(),
                                     [](const InboxEntry& entry) { return !entry.consumed_seq; });
    if (!reason && pending) reason = RunnableReason::inbox;
    if (reason) runnable.push_back(RunnableSession{id, record.org, record.bot, *reason, record.updated_ms});
  }
  std::stable_sort(runnable.begin(), runnable.end(),
                   [](const RunnableSession& a, const RunnableSession& b) { return a.since_ms < b.since_ms; });
  if (runnable.size() > limit) runnable.resize(limit);
  return runnable;
}

Result<std::int64_t> MemorySessions::reset(ResetRequest request) {
  auto* session = find(request.session);
  if (session == nullptr) return not_found("reset", request.session);
  auto& record = session->record;
  if (auto valid = check_reset(request, record.last_seq, record.epoch); !valid) return valid.error();

  const auto branch = static_cast<std::int64_t>(session->archived.size()) + 1;
  const auto keep = static_cast<std::size_t>(request.to_seq.value);
  ArchivedBranch archived{branch, {}};
  std::move(session->events.begin() + static_cast<std::ptrdiff_t>(keep), session->events.end(),
            std::back_inserter(archived.events));
  session->events.resize(keep);
  session->archived.push_back(std::move(archived));
  if (session->checkpoint && session->checkpoint->seq > request.to_seq) session->checkpoint.reset();

  Event event = std::move(request.reset_event);
  if (!event.data.is_object()) event.data = nlohmann::json::object();
  event.data["archived_branch"] = branch;
  record.last_seq = event.seq;
  record.updated_ms = std::max(record.updated_ms, event.time_ms);
  record.status = request.status;
  record.wake_at_ms = request.wake_at_ms;
  session->events.push_back(std::move(event));
  return branch;
}

Result<std::vector<ArchivedBranch>> MemorySessions::archived_branches(const SessionId& id) const {
  const auto* session = find(id);
  if (session == nullptr) return not_found("read_archived_branches", id);
  return session->archived;
}

Result<Lease> MemorySessions::acquire_lease(const SessionId& id, const std::string& owner,
                                            std::chrono::milliseconds ttl, std::int64_t now_ms) {
  if (auto valid = check_owner("acquire", id, owner, ttl); !valid) return valid.error();
  auto* session = find(id);
  if (session == nullptr) return not_found("acquire lease", id);
  const auto current = current_lease(*session);
  const bool ours = current.owner == owner;
  if (!current.owner.empty() && !ours && current.expires_ms > now_ms) {
    return Error{Errc::conflict, lease_op("acquire", id, owner) + ": " + describe(current, now_ms)};
  }
  if (!ours) ++session->record.epoch.value;  // a change of owner: fence the previous one
  session->lease_owner = owner;
  session->lease_epoch = session->record.epoch;
  session->lease_expires_ms = now_ms + ttl.count();
  return current_lease(*session);
}

Result<Lease> MemorySessions::renew_lease(const SessionId& id, const std::string& owner, LeaseEpoch epoch,
                                          std::chrono::milliseconds ttl, std::int64_t now_ms) {
  if (auto valid = check_owner("renew", id, owner, ttl); !valid) return valid.error();
  auto* session = find(id);
  if (session == nullptr) return not_found("renew lease", id);
  const auto current = current_lease(*session);
  if (current.owner != owner || current.epoch != epoch || current.expires_ms <= now_ms) {
    return Error{Errc::fenced, lease_op("renew", id, owner) + " epoch=" + std::to_string(epoch.value) +
                                   ": fenced, the lease is " + describe(current, now_ms)};
  }
  session->lease_expires_ms = now_ms + ttl.count();
  return current_lease(*session);
}

Result<void> MemorySessions::release_lease(const SessionId& id, const std::string& owner, LeaseEpoch epoch) {
  if (auto valid = check_owner("release", id, owner, std::nullopt); !valid) return valid.error();
  auto* session = find(id);
  if (session == nullptr) return not_found("release lease", id);
  const auto current = current_lease(*session);
  if (current.owner != owner || current.epoch != epoch) {
    return Error{Errc::fenced, lease_op("release", id, owner) + " epoch=" + std::to_string(epoch.value) +
                                   ": fenced, the lease is " + describe(current, 0)};
  }
  session->lease_owner.clear();
  session->lease_expires_ms = 0;
  return ok_result();
}

Result<Lease> MemorySessions::take_over_lease(const SessionId& id, const std::string& owner,
                                              std::chrono::milliseconds ttl, std::int64_t now_ms) {
  if (auto valid = check_owner("take over", id, owner, ttl); !valid) return valid.error();
  auto* session = find(id);
  if (session == nullptr) return not_found("take over lease", id);
  ++session->record.epoch.value;
  session->lease_owner = owner;
  session->lease_epoch = session->record.epoch;
  session->lease_expires_ms = now_ms + ttl.count();
  return current_lease(*session);
}

Result<Lease> MemorySessions::get_lease(const SessionId& id) const {
  const auto* session = find(id);
  if (session == nullptr) return not_found("get lease", id);
  return current_lease(*session);
}

}  // namespace agentrt::memory
