#include "backends/memory/memory_lease_store.hpp"

#include <mutex>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentrt {
namespace {

namespace asio = boost::asio;

// Never complete inline, like a store that does real I/O (see memory_session_store.cpp).
asio::awaitable<void> yield_to_caller() {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

}  // namespace

asio::awaitable<Result<Lease>> MemoryLeaseStore::acquire(SessionId session, std::string owner,
                                                         std::chrono::milliseconds ttl, std::int64_t now_ms) {
  co_await yield_to_caller();
  std::scoped_lock lock(store_.mutex_);
  co_return store_.sessions_.acquire_lease(session, owner, ttl, now_ms);
}

asio::awaitable<Result<Lease>> MemoryLeaseStore::renew(SessionId session, std::string owner, LeaseEpoch epoch,
                                                       std::chrono::milliseconds ttl, std::int64_t now_ms) {
  co_await yield_to_caller();
  std::scoped_lock lock(store_.mutex_);
  co_return store_.sessions_.renew_lease(session, owner, epoch, ttl, now_ms);
}

asio::awaitable<Result<void>> MemoryLeaseStore::release(SessionId session, std::string owner, LeaseEpoch epoch) {
  co_await yield_to_caller();
  std::scoped_lock lock(store_.mutex_);
  co_return store_.sessions_.release_lease(session, owner, epoch);
}

asio::awaitable<Result<Lease>> MemoryLeaseStore::take_over(SessionId session, std::string owner,
                                                           std::chrono::milliseconds ttl, std::int64_t now_ms) {
  co_await yield_to_caller();
  std::scoped_lock lock(store_.mutex_);
  co_return store_.sessions_.take_over_lease(session, owner, ttl, now_ms);
}

asio::awaitable<Result<Lease>> MemoryLeaseStore::get(SessionId session) {
  co_await yield_to_caller();
  std::scoped_lock lock(store_.mutex_);
  co_return store_.sessions_.get_lease(session);
}

asio::awaitable<Result<std::vector<RunnableSession>>> MemoryLeaseStore::find_runnable(std::int64_t now_ms,
                                                                                      std::size_t limit) {
  co_await yield_to_caller();
  std::scoped_lock lock(store_.mutex_);
  co_return store_.sessions_.find_runnable(now_ms, limit);
}

std::unique_ptr<LeaseStore> make_memory_lease_store(MemorySessionStore& store) {
  return std::make_unique<MemoryLeaseStore>(store);
}

}  // namespace agentrt
