#include "backends/sqlite/sqlite_db.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "backends/sqlite/sqlite_errors.hpp"

namespace agentrt::sqlite {
namespace {

// SQLITE_TRANSIENT without the macro's C-style cast: SQLite copies the bound bytes.
sqlite3_destructor_type transient() { return reinterpret_cast<sqlite3_destructor_type>(std::intptr_t{-1}); }

}  // namespace

Statement::Statement(SqliteDb& db, sqlite3_stmt* stmt, std::string_view what) : db_(&db), stmt_(stmt), what_(what) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      what_(std::move(other.what_)),
      bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::bind(int index, std::string_view text) {
  keep_bind_error(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), transient(), SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  keep_bind_error(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::optional<std::int64_t> value) {
  keep_bind_error(value ? sqlite3_bind_int64(stmt_, index, *value) : sqlite3_bind_null(stmt_, index));
  return *this;
}

void Statement::keep_bind_error(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

// A finished or failed statement is reset at once, so the same Statement can be bound and run
// again (loops of INSERTs) without binding into a statement that is still running.
Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) {
    const int rc = std::exchange(bind_rc_, SQLITE_OK);
    sqlite3_reset(stmt_);
    return db_->error(rc, what_);
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  sqlite3_reset(stmt_);
  if (rc == SQLITE_DONE) return false;
  return db_->error(rc, what_);
}

Result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) return ok_result();
  }
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

std::optional<std::int64_t> Statement::column_optional_int(int index) const {
  if (column_is_null(index)) return std::nullopt;
  return column_int(index);
}

void SqliteDb::ConnectionCloser::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

void SqliteDb::StatementFinalizer::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

SqliteDb::SqliteDb(Options options, std::unique_ptr<BusyWait> busy_wait, std::unique_ptr<sqlite3, ConnectionCloser> db)
    : options_(std::move(options)), busy_wait_(std::move(busy_wait)), db_(std::move(db)) {}

int SqliteDb::BusyWait::retry(void* self, int count) noexcept {
  auto& wait = *static_cast<BusyWait*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) wait.first_try = now;
  if (now - wait.first_try >= wait.timeout) return 0;  // give up: the call fails with SQLITE_BUSY
  const auto pause = std::chrono::microseconds(50) * (1 << std::min(count, 5));
  std::this_thread::sleep_for(std::min<std::chrono::microseconds>(pause, std::chrono::milliseconds(1)));
  return 1;
}

SqliteDb::~SqliteDb() = default;

Result<SqliteDb> SqliteDb::open(Options options) {
  sqlite3* raw = nullptr;
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(options.path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<sqlite3, ConnectionCloser> db(raw);  // owns the handle even when open failed
  const SqliteErrorContext ctx{options.path, options.busy_timeout};
  if (rc != SQLITE_OK) {
    const char* detail = db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc);
    return translate_sqlite_error(rc, detail, "open", ctx);
  }
  sqlite3_extended_result_codes(db.get(), 1);
  auto busy_wait = std::make_unique<BusyWait>(BusyWait{options.busy_timeout});
  sqlite3_busy_handler(db.get(), &BusyWait::retry, busy_wait.get());
  return SqliteDb(std::move(options), std::move(busy_wait), std::move(db));
}

Result<void> SqliteDb::exec(std::string_view sql, std::string_view what) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc, what);
  return ok_result();
}

Result<Statement> SqliteDb::prepare(std::string_view sql, std::string_view what) {
  auto it = statements_.find(std::string(sql));
  if (it == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &raw, nullptr);
    std::unique_ptr<sqlite3_stmt, StatementFinalizer> stmt(raw);
    if (rc != SQLITE_OK) return error(rc, what);
    it = statements_.emplace(std::string(sql), std::move(stmt)).first;
  }
  return Statement(*this, it->second.get(), what);
}

Error SqliteDb::error(int rc, std::string_view what) const {
  return translate_sqlite_error(rc, sqlite3_errmsg(db_.get()), what, {options_.path, options_.busy_timeout});
}

int SqliteDb::changes() const { return sqlite3_changes(db_.get()); }

bool SqliteDb::in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

}  // namespace agentrt::sqlite
