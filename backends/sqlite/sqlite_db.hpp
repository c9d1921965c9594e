#pragma once
// A thin RAII layer over one SQLite connection: prepared-statement cache, typed binds and
// columns, and every failure translated through sqlite_errors. Used by the writer thread only
// (a connection is never shared between threads at the same time).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/model/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace agentrt::sqlite {

class SqliteDb;

// One execution of a cached prepared statement. Binds are 1-based like SQLite's. The statement
// is reset (and its bindings cleared) when this object goes away, so it can be reused at once.
class Statement {
 public:
  Statement(SqliteDb& db, sqlite3_stmt* stmt, std::string_view what);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;

  Statement& bind(int index, std::string_view text);  // copied by SQLite (SQLITE_TRANSIENT)
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, std::optional<std::int64_t> value);  // nullopt binds NULL

  // Advances one row: true when a row is available, false when the statement is done (it is
  // then reset and can be bound again). A failed bind is reported here.
  Result<bool> step();
  // Steps to completion, ignoring rows (INSERT/UPDATE/DELETE).
  Result<void> run();

  [[nodiscard]] std::int64_t column_int(int index) const;
  [[nodiscard]] std::string column_text(int index) const;
  [[nodiscard]] bool column_is_null(int index) const;
  [[nodiscard]] std::optional<std::int64_t> column_optional_int(int index) const;

 private:
  void keep_bind_error(int rc);

  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  std::string what_;
  int bind_rc_ = 0;  // the first failed bind (SQLITE_OK = 0 when none)
};

class SqliteDb {
 public:
  struct Options {
    std::filesystem::path path;
    bool read_only = false;
    std::chrono::milliseconds busy_timeout{5000};
  };

  // Opens the file (creating it unless read-only). Nothing is read yet: a corrupt file shows
  // up at the first statement, which configure_connection() runs at once.
  static Result<SqliteDb> open(Options options);

  SqliteDb(SqliteDb&&) noexcept = default;
  SqliteDb& operator=(SqliteDb&&) noexcept = default;
  ~SqliteDb();

  // Runs one or more statements without results (pragmas, DDL, BEGIN/COMMIT).
  Result<void> exec(std::string_view sql, std::string_view what);
  // A cached prepared statement for `sql`; `what` prefixes its error messages.
  Result<Statement> prepare(std::string_view sql, std::string_view what);

  // The Error for a failed call with result code `rc` on this connection.
  [[nodiscard]] Error error(int rc, std::string_view what) const;
  [[nodiscard]] int changes() const;
  [[nodiscard]] bool in_transaction() const;
  [[nodiscard]] const std::filesystem::path& path() const { return options_.path; }
  [[nodiscard]] const Options& options() const { return options_; }

 private:
  struct ConnectionCloser {
    void operator()(sqlite3* db) const noexcept;
  };
  struct StatementFinalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept;
  };

  // SQLite's own busy timeout sleeps 1, 2, 5, 10... ms between tries: a lock held for 0.2 ms
  // (another process's commit, a checkpoint starting the log over) cost a step 1 ms or more.
  // This handler tries again after 50 us, doubling up to 1 ms, until `timeout` has passed.
  struct BusyWait {
    std::chrono::milliseconds timeout;
    std::chrono::steady_clock::time_point first_try{};
    static int retry(void* self, int count) noexcept;
  };

  SqliteDb(Options options, std::unique_ptr<BusyWait> busy_wait, std::unique_ptr<sqlite3, ConnectionCloser> db);

  Options options_;
  std::unique_ptr<BusyWait> busy_wait_;  // before db_: the handler's state outlives the connection
  std::unique_ptr<sqlite3, ConnectionCloser> db_;
  // Declared after db_, so statements are finalized before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StatementFinalizer>> statements_;
};

}  // namespace agentrt::sqlite
