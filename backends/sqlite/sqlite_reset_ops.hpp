#pragma once
// The SQL of SessionStore::reset (rewind to an earlier event, the tail kept as an archived
// branch) and read_archived_branches. Runs on the writer thread, in the writer's savepoint,
// so the archive copy, the deletes, the SessionReset event and the session row change commit
// together or not at all.

#include <cstdint>
#include <vector>

#include "backends/sqlite/sqlite_db.hpp"
#include "core/model/error.hpp"
#include "core/ports/session_store.hpp"

namespace agentrt::sqlite {

Result<std::int64_t> reset_history(SqliteDb& db, const ResetRequest& request);
Result<std::vector<ArchivedBranch>> select_archived_branches(SqliteDb& db, const SessionId& id);

}  // namespace agentrt::sqlite
