#pragma once
// Connection settings and the versioned schema of the agentrt SQLite database.
// Tables and columns are listed in backends/sqlite/README.md; other components query them by
// name, so a change is a new migration, never an edit of an applied one.

#include <cstdint>

#include "backends/sqlite/sqlite_db.hpp"
#include "core/model/error.hpp"

namespace agentrt::sqlite {

// The newest schema version this build knows (the last migration's number).
std::int64_t supported_schema_version() noexcept;

// WAL journal, foreign keys, synchronous level. Also the first read of the file, so a corrupt
// file or a file that is not a database fails here with a clear error.
Result<void> configure_connection(SqliteDb& db, bool synchronous_full);

// Applies every missing migration in one transaction (all or none). A database newer than
// this build fails with Errc::fatal; several processes may migrate at once safely.
Result<void> migrate(SqliteDb& db);

// For read-only opens: checks that the schema is exactly the one this build supports.
Result<void> check_schema(SqliteDb& db);

}  // namespace agentrt::sqlite
