#pragma once
// LeaseStore: who owns a session now. One worker (or one `agentrt run` process) at a time
// runs a session; ownership is a lease with an epoch (fencing token) that grows by one at each
// change of owner. SessionStore::append is fenced by the same epoch, so a stale owner that
// still believes it owns the session cannot write (DESIGN.md, durability rule 2).
//
// Contract (every adapter; core/ports/conformance/lease_store_conformance.hpp checks it):
// - Every operation is one conditional write on the session's single record (DynamoDB: one
//   item with a ConditionExpression), never a read-then-write race.
// - acquire(): succeeds when the session has no owner, or its lease expired
//   (expires_ms <= now_ms), or `owner` already holds it. A new owner gets epoch + 1; the same
//   owner keeps its epoch. Errc::conflict when another owner holds an unexpired lease (the
//   message names the owner and the expiry); Errc::not_found for an unknown session.
// - renew(): extends the lease to now_ms + ttl only if `owner` and `epoch` still match and the
//   lease has not expired; otherwise Errc::fenced and nothing changes. A fenced owner must stop
//   the session at once and write nothing more.
// - release(): clears the owner (the epoch stays) only if `owner` and `epoch` match; otherwise
//   Errc::fenced. Releasing lets another worker acquire at once instead of waiting for expiry.
// - take_over(): becomes the owner whatever the current lease (epoch + 1). For operators and
//   for `agentrt run --session`, where a person asked for it explicitly.
// - get(): the current lease; owner empty when nobody holds it.
// - find_runnable(): sessions that need a worker and have none: not terminal, lease free or
//   expired, and (a) status running (a turn was interrupted: its owner died, stalled or let go
//   mid-turn), or (b) sleeping with wake_at_ms <= now_ms, or (c) a pending inbox message.
//   Longest-waiting first (oldest updated_ms), at most `limit`. A read, not a claim: the caller
//   acquires each lease, which fails with Errc::conflict when another worker won the race.
//   A large backlog is not read whole on every call: SQLite weighs the 256 sessions whose
//   pending messages waited longest, DynamoDB the first 2,000 items of its index.
//   DynamoDB: a sparse GSI on a "runnable since" attribute set by the same writes.
// - Times are wall-clock ms passed by the caller (the Clock port), never read by the adapter.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/model/error.hpp"
#include "core/model/ids.hpp"

namespace agentrt {

struct Lease {
  SessionId session;
  std::string owner;           // e.g. "run:host:pid" or "worker-3"; empty: not held
  LeaseEpoch epoch;
  std::int64_t expires_ms = 0;
};

enum class RunnableReason { interrupted, timer_due, inbox };
std::string_view runnable_reason_name(RunnableReason reason) noexcept;

struct RunnableSession {
  SessionId session;
  OrgId org;
  BotId bot;
  RunnableReason reason = RunnableReason::inbox;
  std::int64_t since_ms = 0;  // updated_ms: how long it has waited for a worker
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  virtual boost::asio::awaitable<Result<Lease>> acquire(SessionId session, std::string owner,
                                                        std::chrono::milliseconds ttl, std::int64_t now_ms) = 0;
  virtual boost::asio::awaitable<Result<Lease>> renew(SessionId session, std::string owner, LeaseEpoch epoch,
                                                      std::chrono::milliseconds ttl, std::int64_t now_ms) = 0;
  virtual boost::asio::awaitable<Result<void>> release(SessionId session, std::string owner, LeaseEpoch epoch) = 0;
  virtual boost::asio::awaitable<Result<Lease>> take_over(SessionId session, std::string owner,
                                                          std::chrono::milliseconds ttl, std::int64_t now_ms) = 0;
  virtual boost::asio::awaitable<Result<Lease>> get(SessionId session) = 0;
  virtual boost::asio::awaitable<Result<std::vector<RunnableSession>>> find_runnable(std::int64_t now_ms,
                                                                                     std::size_t limit) = 0;
};

inline std::string_view runnable_reason_name(RunnableReason reason) noexcept {
  switch (reason) {
    case RunnableReason::interrupted:
      return "interrupted";
    case RunnableReason::timer_due:
      return "timer_due";
    case RunnableReason::inbox:
      return "inbox";
  }
  return "unknown";
}

}  // namespace agentrt
