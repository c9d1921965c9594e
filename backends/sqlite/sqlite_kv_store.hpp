#pragma once
// KvStore on the SQLite database of a SqliteSessionStore (table `kv`, schema migration 3; see
// backends/sqlite/README.md). Its jobs run on the session store's writer thread: a get is a
// read job, a put or erase one write job, so each call is all-or-nothing (one savepoint).
// Get one with SqliteSessionStore::kv_store(); it must not outlive that store.

#include <filesystem>

#include "core/ports/kv_store.hpp"

namespace agentrt {

namespace sqlite {
class SqliteWriter;
}

class SqliteKvStore final : public KvStore {
 public:
  SqliteKvStore(sqlite::SqliteWriter& writer, std::filesystem::path path, bool read_only);

  boost::asio::awaitable<Result<KvEntries>> get_many(KvScope scope, std::vector<std::string> keys) override;
  boost::asio::awaitable<Result<void>> put_many(KvScope scope, KvEntries entries) override;
  boost::asio::awaitable<Result<void>> erase_many(KvScope scope, std::vector<std::string> keys) override;

 private:
  sqlite::SqliteWriter& writer_;
  std::filesystem::path path_;  // for the read-only error
  bool read_only_;
};

}  // namespace agentrt
