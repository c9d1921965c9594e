#pragma once
// A SessionStore decorator for the Kafka consumer's tests: enqueue() first waits `delay`, and
// while hold() is on it waits (polling every 5 ms) before forwarding: a slow store, or one
// whose enqueue has not returned yet. Everything else forwards. Header-only test support.

#include <chrono>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/ports/session_store.hpp"

namespace agentrt::serve::testing {

class SlowEnqueueStore final : public SessionStore {
 public:
  explicit SlowEnqueueStore(SessionStore& inner) : inner_(inner) {}
  void set_delay(std::chrono::milliseconds delay) { delay_ = delay; }
  void hold(bool on) { held_ = on; }
  [[nodiscard]] int enqueues() const { return enqueues_; }

  boost::asio::awaitable<Result<bool>> enqueue(SessionId id, InboxMessage message) override {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    boost::system::error_code ec;
    timer.expires_after(delay_);
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    while (held_ && !ec) {
      timer.expires_after(std::chrono::milliseconds(5));
      co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    if (ec) co_return Error{Errc::cancelled, "enqueue: cancelled"};
    ++enqueues_;
    co_return co_await inner_.enqueue(std::move(id), std::move(message));
  }

  boost::asio::awaitable<Result<void>> create_session(SessionRecord record, nlohmann::json definition,
                                                      std::vector<Event> first_events) override {
    return inner_.create_session(std::move(record), std::move(definition), std::move(first_events));
  }
  boost::asio::awaitable<Result<SessionRecord>> get_session(SessionId id) override { return inner_.get_session(std::move(id)); }
  boost::asio::awaitable<Result<std::vector<SessionRecord>>> list_sessions(SessionQuery query) override {
    return inner_.list_sessions(std::move(query));
  }
  boost::asio::awaitable<Result<nlohmann::json>> get_definition(std::string hash) override {
    return inner_.get_definition(std::move(hash));
  }
  boost::asio::awaitable<Result<LeaseEpoch>> claim(SessionId id) override { return inner_.claim(std::move(id)); }
  boost::asio::awaitable<Result<void>> append(AppendRequest request) override { return inner_.append(std::move(request)); }
  boost::asio::awaitable<Result<std::vector<Event>>> read_events(SessionId id, EventSeq after, std::size_t limit) override {
    return inner_.read_events(std::move(id), after, limit);
  }
  boost::asio::awaitable<Result<std::int64_t>> reset(ResetRequest request) override { return inner_.reset(std::move(request)); }
  boost::asio::awaitable<Result<std::vector<ArchivedBranch>>> read_archived_branches(SessionId id) override {
    return inner_.read_archived_branches(std::move(id));
  }
  boost::asio::awaitable<Result<void>> save_checkpoint(SessionId id, LeaseEpoch epoch, Checkpoint checkpoint) override {
    return inner_.save_checkpoint(std::move(id), epoch, std::move(checkpoint));
  }
  boost::asio::awaitable<Result<std::optional<Checkpoint>>> load_checkpoint(SessionId id) override {
    return inner_.load_checkpoint(std::move(id));
  }
  boost::asio::awaitable<Result<std::vector<InboxMessage>>> pending_messages(SessionId id, std::size_t limit) override {
    return inner_.pending_messages(std::move(id), limit);
  }

 private:
  SessionStore& inner_;
  std::chrono::milliseconds delay_{0};
  bool held_ = false;
  int enqueues_ = 0;
};

}  // namespace agentrt::serve::testing
