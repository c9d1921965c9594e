#include "backends/sqlite/sqlite_kv_store.hpp"

#include <utility>

#include "backends/sqlite/sqlite_errors.hpp"
#include "backends/sqlite/sqlite_job.hpp"
#include "backends/sqlite/sqlite_writer.hpp"
#include "core/model/kv_bounds.hpp"

namespace agentrt {

using boost::asio::awaitable;
using sqlite::failed_now;
using sqlite::JobKind;
using sqlite::run_job;
using sqlite::SqliteDb;

namespace {

Result<void> check(const KvScope& scope, const std::vector<std::string>& keys, const std::string& what) {
  if (auto valid = check_kv_scope(scope.org, scope.bot, what); !valid) return valid;
  return check_kv_keys(keys, what);
}

Result<KvEntries> select_entries(SqliteDb& db, const KvScope& scope, const std::vector<std::string>& keys,
                                 const std::string& what) {
  KvEntries found;
  for (const auto& key : keys) {
    auto stmt = db.prepare("SELECT value FROM kv WHERE org = ? AND bot = ? AND key = ?", what);
    if (!stmt) return stmt.error();
    auto row = stmt->bind(1, scope.org.str()).bind(2, scope.bot.str()).bind(3, key).step();
    if (!row) return row.error();
    if (!*row) continue;
    auto value = decode_kv_value(stmt->column_text(0), what + " key=" + key);
    if (!value) return value.error();
    if (auto done = stmt->run(); !done) return done.error();
    found[key] = std::move(value.value());
  }
  return found;
}

// Every value is encoded before the first row is written, so a bad one writes nothing.
Result<void> upsert_entries(SqliteDb& db, const KvScope& scope, const std::vector<std::pair<std::string, std::string>>& rows,
                            const std::string& what) {
  for (const auto& [key, text] : rows) {
    auto stmt = db.prepare(
        "INSERT INTO kv(org, bot, key, value) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(org, bot, key) DO UPDATE SET value = excluded.value",
        what);
    if (!stmt) return stmt.error();
    if (auto done = stmt->bind(1, scope.org.str()).bind(2, scope.bot.str()).bind(3, key).bind(4, text).run(); !done) {
      return done;
    }
  }
  return ok_result();
}

Result<void> delete_entries(SqliteDb& db, const KvScope& scope, const std::vector<std::string>& keys,
                            const std::string& what) {
  for (const auto& key : keys) {
    auto stmt = db.prepare("DELETE FROM kv WHERE org = ? AND bot = ? AND key = ?", what);
    if (!stmt) return stmt.error();
    if (auto done = stmt->bind(1, scope.org.str()).bind(2, scope.bot.str()).bind(3, key).run(); !done) return done;
  }
  return ok_result();
}

}  // namespace

// Like SqliteLeaseStore, no method is itself a coroutine (GCC 12 and init-captures).

SqliteKvStore::SqliteKvStore(sqlite::SqliteWriter& writer, std::filesystem::path path, bool read_only)
    : writer_(writer), path_(std::move(path)), read_only_(read_only) {}

awaitable<Result<KvEntries>> SqliteKvStore::get_many(KvScope scope, std::vector<std::string> keys) {
  auto what = "kv get " + kv_scope_name(scope.org, scope.bot);
  if (auto valid = check(scope, keys, what); !valid) return failed_now<KvEntries>(valid.error());
  return run_job<KvEntries>(writer_, JobKind::read, what,
                            [scope = std::move(scope), keys = std::move(keys), what](SqliteDb& db) {
                              return select_entries(db, scope, keys, what);
                            });
}

awaitable<Result<void>> SqliteKvStore::put_many(KvScope scope, KvEntries entries) {
  auto what = "kv put " + kv_scope_name(scope.org, scope.bot);
  if (auto valid = check_kv_scope(scope.org, scope.bot, what); !valid) return failed_now<void>(valid.error());
  if (auto valid = check_kv_entries(entries, what); !valid) return failed_now<void>(valid.error());
  if (read_only_) return failed_now<void>(sqlite::read_only_error(path_));
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& [key, value] : entries) rows.emplace_back(key, value.dump());  // checked encodable above
  return run_job<void>(writer_, JobKind::write, what,
                       [scope = std::move(scope), rows = std::move(rows), what](SqliteDb& db) {
                         return upsert_entries(db, scope, rows, what);
                       });
}

awaitable<Result<void>> SqliteKvStore::erase_many(KvScope scope, std::vector<std::string> keys) {
  auto what = "kv erase " + kv_scope_name(scope.org, scope.bot);
  if (auto valid = check(scope, keys, what); !valid) return failed_now<void>(valid.error());
  if (read_only_) return failed_now<void>(sqlite::read_only_error(path_));
  return run_job<void>(writer_, JobKind::write, what,
                       [scope = std::move(scope), keys = std::move(keys), what](SqliteDb& db) {
                         return delete_entries(db, scope, keys, what);
                       });
}

}  // namespace agentrt
