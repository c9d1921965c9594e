#include "backends/sqlite/sqlite_lease_store.hpp"

#include <utility>

#include "backends/sqlite/sqlite_errors.hpp"
#include "backends/sqlite/sqlite_job.hpp"
#include "backends/sqlite/sqlite_lease_ops.hpp"
#include "backends/sqlite/sqlite_writer.hpp"

namespace agentrt {

using boost::asio::awaitable;
using sqlite::failed_now;
using sqlite::JobKind;
using sqlite::LeaseChange;
using sqlite::run_job;
using sqlite::SqliteDb;

// Like SqliteSessionStore, no method is itself a coroutine (GCC 12 and init-captures).

SqliteLeaseStore::SqliteLeaseStore(sqlite::SqliteWriter& writer, std::filesystem::path path, bool read_only)
    : writer_(writer), path_(std::move(path)), read_only_(read_only) {}

awaitable<Result<Lease>> SqliteLeaseStore::acquire(SessionId session, std::string owner, std::chrono::milliseconds ttl,
                                                   std::int64_t now_ms) {
  if (read_only_) return failed_now<Lease>(sqlite::read_only_error(path_));
  auto what = "acquire lease session=" + session.str();
  return run_job<Lease>(writer_, JobKind::write, std::move(what),
                        [change = LeaseChange{std::move(session), std::move(owner), LeaseEpoch{}, ttl, now_ms}](
                            SqliteDb& db) { return sqlite::acquire_lease(db, change); });
}

awaitable<Result<Lease>> SqliteLeaseStore::renew(SessionId session, std::string owner, LeaseEpoch epoch,
                                                 std::chrono::milliseconds ttl, std::int64_t now_ms) {
  if (read_only_) return failed_now<Lease>(sqlite::read_only_error(path_));
  auto what = "renew lease session=" + session.str();
  return run_job<Lease>(writer_, JobKind::write, std::move(what),
                        [change = LeaseChange{std::move(session), std::move(owner), epoch, ttl, now_ms}](
                            SqliteDb& db) { return sqlite::renew_lease(db, change); });
}

awaitable<Result<void>> SqliteLeaseStore::release(SessionId session, std::string owner, LeaseEpoch epoch) {
  if (read_only_) return failed_now<void>(sqlite::read_only_error(path_));
  auto what = "release lease session=" + session.str();
  return run_job<void>(writer_, JobKind::write, std::move(what),
                       [change = LeaseChange{std::move(session), std::move(owner), epoch, {}, 0}](SqliteDb& db) {
                         return sqlite::release_lease(db, change);
                       });
}

awaitable<Result<Lease>> SqliteLeaseStore::take_over(SessionId session, std::string owner,
                                                     std::chrono::milliseconds ttl, std::int64_t now_ms) {
  if (read_only_) return failed_now<Lease>(sqlite::read_only_error(path_));
  auto what = "take over lease session=" + session.str();
  return run_job<Lease>(writer_, JobKind::write, std::move(what),
                        [change = LeaseChange{std::move(session), std::move(owner), LeaseEpoch{}, ttl, now_ms}](
                            SqliteDb& db) { return sqlite::take_over_lease(db, change); });
}

awaitable<Result<Lease>> SqliteLeaseStore::get(SessionId session) {
  auto what = "get lease session=" + session.str();
  return run_job<Lease>(writer_, JobKind::read, std::move(what),
                        [id = std::move(session)](SqliteDb& db) { return sqlite::select_lease(db, id); });
}

awaitable<Result<std::vector<RunnableSession>>> SqliteLeaseStore::find_runnable(std::int64_t now_ms, std::size_t limit) {
  return run_job<std::vector<RunnableSession>>(writer_, JobKind::read, "find runnable sessions",
                                               [now_ms, limit](SqliteDb& db) { return sqlite::select_runnable(db, now_ms, limit); });
}

}  // namespace agentrt
