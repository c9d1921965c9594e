#pragma once
// The SQL of the LeaseStore port on the sessions row (columns epoch, lease_owner,
// lease_expires_ms). Each operation is one conditional UPDATE ... RETURNING; when it changes
// no row, a SELECT of the same row (same transaction) only explains why, for the message.
// They run on the writer thread, inside the savepoint the writer opened for them.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "backends/sqlite/sqlite_db.hpp"
#include "core/model/error.hpp"
#include "core/ports/lease_store.hpp"

namespace agentrt::sqlite {

struct LeaseChange {
  SessionId session;
  std::string owner;
  LeaseEpoch epoch;                    // renew and release only
  std::chrono::milliseconds ttl{0};    // acquire, renew, take_over
  std::int64_t now_ms = 0;             // acquire, renew, take_over
};

Result<Lease> acquire_lease(SqliteDb& db, const LeaseChange& change);
Result<Lease> renew_lease(SqliteDb& db, const LeaseChange& change);
Result<void> release_lease(SqliteDb& db, const LeaseChange& change);
Result<Lease> take_over_lease(SqliteDb& db, const LeaseChange& change);
Result<Lease> select_lease(SqliteDb& db, const SessionId& id);
// LeaseStore::find_runnable: a read.
Result<std::vector<RunnableSession>> select_runnable(SqliteDb& db, std::int64_t now_ms, std::size_t limit);

}  // namespace agentrt::sqlite
