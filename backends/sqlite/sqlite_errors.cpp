#include "backends/sqlite/sqlite_errors.hpp"

#include <sqlite3.h>

namespace agentrt::sqlite {
namespace {

std::string prefix(std::string_view what) { return what.empty() ? std::string() : std::string(what) + ": "; }

std::string quoted(const std::filesystem::path& path) { return path.string(); }

}  // namespace

Error translate_sqlite_error(int rc, std::string_view detail, std::string_view what, const SqliteErrorContext& ctx) {
  const std::string db = "database " + quoted(ctx.path);
  switch (rc & 0xff) {  // the primary code: extended codes refine it in the high bits
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{Errc::retryable, prefix(what) + db + " is locked by another process (waited " +
                                        std::to_string(ctx.busy_timeout.count()) + " ms)"};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error{Errc::fatal, prefix(what) + db + " is corrupt or not an agentrt database"};
    case SQLITE_READONLY:
      return Error{Errc::fatal, prefix(what) + db +
                                    " is read-only: check the permissions of the file, its -wal and "
                                    "-shm files and its folder (" +
                                    std::string(detail) + ")"};
    case SQLITE_CANTOPEN:
      return Error{Errc::fatal, prefix(what) + "cannot open " + db +
                                    ": check that the file exists (or its folder is writable) and is readable (" +
                                    std::string(detail) + ")"};
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Error{Errc::fatal, prefix(what) + db +
                                    ": permission denied; check the owner and mode of the file and its "
                                    "folder (" +
                                    std::string(detail) + ")"};
    case SQLITE_FULL:
      return Error{Errc::fatal, prefix(what) + db + ": disk full (" + std::string(detail) + ")"};
    case SQLITE_IOERR:
      return Error{Errc::fatal, prefix(what) + db + ": I/O error (" + std::string(detail) + ")"};
    case SQLITE_CONSTRAINT:
      return Error{Errc::conflict, prefix(what) + db + ": constraint failed (" + std::string(detail) + ")"};
    case SQLITE_INTERRUPT:
      return Error{Errc::cancelled, prefix(what) + db + ": interrupted"};
    default:
      return Error{Errc::fatal,
                   prefix(what) + db + ": " + std::string(detail) + " (sqlite code " + std::to_string(rc) + ")"};
  }
}

Error fenced_error(std::string_view operation, const SessionId& session, EventSeq seq, LeaseEpoch epoch,
                   LeaseEpoch current) {
  return Error{Errc::fenced, std::string(operation) + " session=" + session.str() +
                                 " seq=" + std::to_string(seq.value) + ": fenced (epoch " +
                                 std::to_string(epoch.value) + ", current " + std::to_string(current.value) + ")"};
}

Error seq_gap_error(const SessionId& session, EventSeq expected, EventSeq got) {
  return Error{Errc::conflict, "append session=" + session.str() + ": expected seq " + std::to_string(expected.value) +
                                   ", got " + std::to_string(got.value)};
}

Error session_not_found_error(std::string_view operation, const SessionId& session) {
  return Error{Errc::not_found, std::string(operation) + " session=" + session.str() + ": no such session"};
}

Error read_only_error(const std::filesystem::path& path) {
  return Error{Errc::invalid, "store " + quoted(path) + " is open read-only"};
}

Error schema_too_new_error(const std::filesystem::path& path, std::int64_t found, std::int64_t supported) {
  return Error{Errc::fatal, "database " + quoted(path) + " has schema version " + std::to_string(found) +
                                ", newer than this build supports (" + std::to_string(supported) +
                                "); upgrade agentrt"};
}

Error stopped_error(const std::filesystem::path& path) {
  return Error{Errc::cancelled, "store " + quoted(path) + " is stopped"};
}

}  // namespace agentrt::sqlite
