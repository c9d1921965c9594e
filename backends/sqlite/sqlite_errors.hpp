#pragma once
// The one place where SQLite result codes and store-level rule violations become agentrt
// Errors (STYLE.md "Each backend translates errors in one file"). Every message names the
// database path or the session, so an operator can act on it without a debugger.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/model/error.hpp"
#include "core/model/ids.hpp"

namespace agentrt::sqlite {

// What a failing SQLite call was doing, for the message.
struct SqliteErrorContext {
  const std::filesystem::path& path;
  std::chrono::milliseconds busy_timeout;
};

// Translates a SQLite result code (primary or extended) into an Error:
// BUSY/LOCKED -> retryable, CORRUPT/NOTADB -> fatal, READONLY/CANTOPEN/PERM -> fatal,
// FULL/IOERR -> fatal (with the path), anything else -> fatal with SQLite's own text.
// `what` is the operation ("append session=s-1"); `detail` is sqlite3_errmsg() text.
Error translate_sqlite_error(int rc, std::string_view detail, std::string_view what, const SqliteErrorContext& ctx);

// "append session=S seq=N: fenced (epoch 3, current 4)"
Error fenced_error(std::string_view operation, const SessionId& session, EventSeq seq, LeaseEpoch epoch,
                   LeaseEpoch current);
// "append session=S: expected seq 8, got 10"
Error seq_gap_error(const SessionId& session, EventSeq expected, EventSeq got);
// "<operation> session=S: no such session"
Error session_not_found_error(std::string_view operation, const SessionId& session);
// "store <path> is open read-only"
Error read_only_error(const std::filesystem::path& path);
// "database <path> has schema version N, newer than this build supports (M); upgrade agentrt"
Error schema_too_new_error(const std::filesystem::path& path, std::int64_t found, std::int64_t supported);
// "store <path> is stopped" (cancelled: a shutdown, not a failure)
Error stopped_error(const std::filesystem::path& path);

}  // namespace agentrt::sqlite
