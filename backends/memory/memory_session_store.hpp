#pragma once
// SessionStore kept in memory: for tests and single-process use. Not durable: everything is
// lost when the object is destroyed. See backends/memory/README.md.
//
// Threads: every method may be called from any executor and any thread; the data is behind
// one mutex, and each call first posts to the caller's executor, so it never completes
// inline and never blocks on I/O. It implements the whole SessionStore contract (the
// conformance suite in core/ports/conformance checks it), plus fault hooks for tests.

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>

#include "backends/memory/memory_sessions.hpp"
#include "core/model/error.hpp"
#include "core/ports/session_store.hpp"

namespace agentrt {

class MemorySessionStore final : public SessionStore {
 public:
  MemorySessionStore() = default;
  MemorySessionStore(const MemorySessionStore&) = delete;
  MemorySessionStore& operator=(const MemorySessionStore&) = delete;

  boost::asio::awaitable<Result<void>> create_session(SessionRecord record, nlohmann::json definition,
                                                      std::vector<Event> first_events) override;
  boost::asio::awaitable<Result<SessionRecord>> get_session(SessionId id) override;
  boost::asio::awaitable<Result<std::vector<SessionRecord>>> list_sessions(SessionQuery query) override;
  boost::asio::awaitable<Result<std::vector<SessionCount>>> count_sessions() override;
  boost::asio::awaitable<Result<nlohmann::json>> get_definition(std::string hash) override;
  boost::asio::awaitable<Result<LeaseEpoch>> claim(SessionId id) override;
  boost::asio::awaitable<Result<void>> append(AppendRequest request) override;
  boost::asio::awaitable<Result<std::vector<Event>>> read_events(SessionId id, EventSeq after,
                                                                 std::size_t limit) override;
  boost::asio::awaitable<Result<std::int64_t>> reset(ResetRequest request) override;
  boost::asio::awaitable<Result<std::vector<ArchivedBranch>>> read_archived_branches(SessionId id) override;
  boost::asio::awaitable<Result<void>> save_checkpoint(SessionId id, LeaseEpoch epoch, Checkpoint checkpoint) override;
  boost::asio::awaitable<Result<std::optional<Checkpoint>>> load_checkpoint(SessionId id) override;
  boost::asio::awaitable<Result<bool>> enqueue(SessionId id, InboxMessage message) override;
  boost::asio::awaitable<Result<std::vector<InboxMessage>>> pending_messages(SessionId id, std::size_t limit) override;

  // Fault hook: the next `count` append() calls return `error` and write nothing (any
  // session). A later call replaces the remaining count and the error.
  void fail_next_appends(std::size_t count, Error error);
  // Fault hook: the next `count` enqueue() calls return `error` and write nothing.
  void fail_next_enqueues(std::size_t count, Error error);
  // Fault hook: the next `count` enqueue() calls wait `delay` (on the caller's executor) first.
  void delay_next_enqueues(std::size_t count, std::chrono::milliseconds delay);
  // Number of append() calls completed so far, failed ones included.
  [[nodiscard]] std::size_t append_count() const;

 private:
  friend class MemoryLeaseStore;  // the lease lives in the same records, under the same mutex

  mutable std::mutex mutex_;
  memory::MemorySessions sessions_;  // guarded by mutex_
  std::size_t appends_to_fail_ = 0;  // guarded by mutex_
  Error append_failure_;             // guarded by mutex_
  std::size_t enqueues_to_fail_ = 0;  // guarded by mutex_
  Error enqueue_failure_;             // guarded by mutex_
  std::size_t enqueues_to_delay_ = 0;  // guarded by mutex_
  std::chrono::milliseconds enqueue_delay_{0};  // guarded by mutex_
  std::size_t append_count_ = 0;     // guarded by mutex_
};

std::unique_ptr<MemorySessionStore> make_memory_session_store();

}  // namespace agentrt
