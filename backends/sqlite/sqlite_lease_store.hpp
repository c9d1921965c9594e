#pragma once
// LeaseStore on the SQLite database of a SqliteSessionStore: the lease is three columns of the
// session's row (epoch, lease_owner, lease_expires_ms), so SessionStore::append's fencing and
// the lease share one epoch. It queues its jobs on the session store's writer thread (one
// connection, group commit); each operation is one conditional UPDATE. Get one with
// SqliteSessionStore::lease_store(); it must not outlive that store.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/ports/lease_store.hpp"

namespace agentrt {

namespace sqlite {
class SqliteWriter;
}

class SqliteLeaseStore final : public LeaseStore {
 public:
  SqliteLeaseStore(sqlite::SqliteWriter& writer, std::filesystem::path path, bool read_only);

  boost::asio::awaitable<Result<Lease>> acquire(SessionId session, std::string owner, std::chrono::milliseconds ttl,
                                                std::int64_t now_ms) override;
  boost::asio::awaitable<Result<Lease>> renew(SessionId session, std::string owner, LeaseEpoch epoch,
                                              std::chrono::milliseconds ttl, std::int64_t now_ms) override;
  boost::asio::awaitable<Result<void>> release(SessionId session, std::string owner, LeaseEpoch epoch) override;
  boost::asio::awaitable<Result<Lease>> take_over(SessionId session, std::string owner, std::chrono::milliseconds ttl,
                                                  std::int64_t now_ms) override;
  boost::asio::awaitable<Result<Lease>> get(SessionId session) override;
  boost::asio::awaitable<Result<std::vector<RunnableSession>>> find_runnable(std::int64_t now_ms,
                                                                             std::size_t limit) override;

 private:
  sqlite::SqliteWriter& writer_;
  std::filesystem::path path_;  // for the read-only error
  bool read_only_;
};

}  // namespace agentrt
