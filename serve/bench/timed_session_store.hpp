#pragma once
// A SessionStore decorator for serve_bench: forwards every call and, for each successful
// append, counts the durable steps it records (LlmCompleted/LlmFailed/ToolCompleted/
// ToolFailed: a step is durable once its result is) and the turns it completes, and keeps the
// append's latency (queue + group commit + fsync on the writer thread). When `turns_expected`
// turns are recorded it calls `all_done` once. Used from the io_context thread only.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/ports/session_store.hpp"

namespace agentrt::serve::bench {

class TimedSessionStore final : public SessionStore {
 public:
  TimedSessionStore(SessionStore& inner, std::size_t turns_expected, std::function<void()> all_done);

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

  [[nodiscard]] std::uint64_t durable_steps() const { return durable_steps_; }
  [[nodiscard]] std::uint64_t turns_completed() const { return turns_completed_; }
  [[nodiscard]] std::uint64_t appends() const { return appends_; }
  [[nodiscard]] std::uint64_t failed_appends() const { return failed_appends_; }
  [[nodiscard]] std::uint64_t events() const { return events_; }
  [[nodiscard]] const std::vector<double>& append_latency_us() const { return append_latency_us_; }
  // When the last expected turn was recorded.
  [[nodiscard]] std::chrono::steady_clock::time_point done_at() const { return done_at_; }

 private:
  SessionStore* inner_;
  std::size_t turns_expected_;
  std::function<void()> all_done_;
  std::uint64_t durable_steps_ = 0;
  std::uint64_t turns_completed_ = 0;
  std::uint64_t appends_ = 0;
  std::uint64_t failed_appends_ = 0;
  std::uint64_t events_ = 0;
  std::vector<double> append_latency_us_;
  std::chrono::steady_clock::time_point done_at_{};
};

}  // namespace agentrt::serve::bench
