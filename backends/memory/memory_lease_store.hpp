#pragma once
// LeaseStore kept in memory, on the records of a MemorySessionStore: the lease and the epoch
// that fences MemorySessionStore::append are one record under one mutex, so every operation
// is atomic like a conditional write. Tests and single-process use only (not durable).
// Threads: like MemorySessionStore, any executor; completes on the caller's executor.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "backends/memory/memory_session_store.hpp"
#include "core/ports/lease_store.hpp"

namespace agentrt {

class MemoryLeaseStore final : public LeaseStore {
 public:
  // `store` must outlive this object.
  explicit MemoryLeaseStore(MemorySessionStore& store) : store_(store) {}

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
  MemorySessionStore& store_;
};

std::unique_ptr<LeaseStore> make_memory_lease_store(MemorySessionStore& store);

}  // namespace agentrt
