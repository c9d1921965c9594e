#include "backends/memory/memory_session_store.hpp"

#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agentrt {
namespace {

namespace asio = boost::asio;

// Every call completes through the caller's executor, like a store that does real I/O, so
// callers cannot come to depend on inline completion.
asio::awaitable<void> yield_to_caller() {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

}  // namespace

asio::awaitable<Result<void>> MemorySessionStore::create_session(SessionRecord record, nlohmann::json definition,
                                                                  std::vector<Event> first_events) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.create_session(std::move(record), std::move(definition), std::move(first_events));
}

asio::awaitable<Result<SessionRecord>> MemorySessionStore::get_session(SessionId id) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.get_session(id);
}

asio::awaitable<Result<std::vector<SessionRecord>>> MemorySessionStore::list_sessions(SessionQuery query) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.list_sessions(query);
}

asio::awaitable<Result<std::vector<SessionCount>>> MemorySessionStore::count_sessions() {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.count_sessions();
}

asio::awaitable<Result<nlohmann::json>> MemorySessionStore::get_definition(std::string hash) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.get_definition(hash);
}

asio::awaitable<Result<LeaseEpoch>> MemorySessionStore::claim(SessionId id) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.claim(id);
}

asio::awaitable<Result<void>> MemorySessionStore::append(AppendRequest request) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  ++append_count_;
  if (appends_to_fail_ > 0) {
    --appends_to_fail_;
    co_return append_failure_.with_context("append session=" + request.session.str());
  }
  co_return sessions_.append(std::move(request));
}

asio::awaitable<Result<std::vector<Event>>> MemorySessionStore::read_events(SessionId id, EventSeq after,
                                                                            std::size_t limit) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.read_events(id, after, limit);
}

asio::awaitable<Result<std::int64_t>> MemorySessionStore::reset(ResetRequest request) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.reset(std::move(request));
}

asio::awaitable<Result<std::vector<ArchivedBranch>>> MemorySessionStore::read_archived_branches(SessionId id) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.archived_branches(id);
}

asio::awaitable<Result<void>> MemorySessionStore::save_checkpoint(SessionId id, LeaseEpoch epoch, Checkpoint checkpoint) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.save_checkpoint(id, epoch, std::move(checkpoint));
}

asio::awaitable<Result<std::optional<Checkpoint>>> MemorySessionStore::load_checkpoint(SessionId id) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.load_checkpoint(id);
}

asio::awaitable<Result<bool>> MemorySessionStore::enqueue(SessionId id, InboxMessage message) {
  co_await yield_to_caller();
  std::chrono::milliseconds delay{0};
  {
    std::scoped_lock lock(mutex_);
    if (enqueues_to_delay_ > 0) {
      --enqueues_to_delay_;
      delay = enqueue_delay_;
    }
  }
  if (delay.count() > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Error{Errc::cancelled, "enqueue session=" + id.str() + ": cancelled"};
  }
  std::scoped_lock lock(mutex_);
  if (enqueues_to_fail_ > 0) {
    --enqueues_to_fail_;
    co_return enqueue_failure_.with_context("enqueue session=" + id.str());
  }
  co_return sessions_.enqueue(id, std::move(message));
}

asio::awaitable<Result<std::vector<InboxMessage>>> MemorySessionStore::pending_messages(SessionId id,
                                                                                        std::size_t limit) {
  co_await yield_to_caller();
  std::scoped_lock lock(mutex_);
  co_return sessions_.pending_messages(id, limit);
}

void MemorySessionStore::fail_next_appends(std::size_t count, Error error) {
  std::scoped_lock lock(mutex_);
  appends_to_fail_ = count;
  append_failure_ = std::move(error);
}

void MemorySessionStore::fail_next_enqueues(std::size_t count, Error error) {
  std::scoped_lock lock(mutex_);
  enqueues_to_fail_ = count;
  enqueue_failure_ = std::move(error);
}

void MemorySessionStore::delay_next_enqueues(std::size_t count, std::chrono::milliseconds delay) {
  std::scoped_lock lock(mutex_);
  enqueues_to_delay_ = count;
  enqueue_delay_ = delay;
}

std::size_t MemorySessionStore::append_count() const {
  std::scoped_lock lock(mutex_);
  return append_count_;
}

std::unique_ptr<MemorySessionStore> make_memory_session_store() { return std::make_unique<MemorySessionStore>(); }

}  // namespace agentrt
