#include "serve/bench/timed_session_store.hpp"

#include <utility>

namespace agentrt::serve::bench {
namespace {

namespace asio = boost::asio;

bool is_step_result(EventType type) {
  return type == EventType::LlmCompleted || type == EventType::LlmFailed || type == EventType::ToolCompleted ||
         type == EventType::ToolFailed;
}

}  // namespace

TimedSessionStore::TimedSessionStore(SessionStore& inner, std::size_t turns_expected, std::function<void()> all_done)
    : inner_(&inner), turns_expected_(turns_expected), all_done_(std::move(all_done)) {}

asio::awaitable<Result<void>> TimedSessionStore::append(AppendRequest request) {
  std::uint64_t steps = 0;
  std::uint64_t turns = 0;
  for (const auto& event : request.events) {
    if (is_step_result(event.type)) ++steps;
    if (event.type == EventType::TurnCompleted) ++turns;
  }
  const auto count = request.events.size();
  const auto started = std::chrono::steady_clock::now();
  auto appended = co_await inner_->append(std::move(request));
  const auto ended = std::chrono::steady_clock::now();
  if (!appended) {
    ++failed_appends_;
    co_return appended;
  }
  ++appends_;
  events_ += count;
  durable_steps_ += steps;
  append_latency_us_.push_back(std::chrono::duration<double, std::micro>(ended - started).count());
  const bool was_done = turns_completed_ >= turns_expected_;
  turns_completed_ += turns;
  if (!was_done && turns_completed_ >= turns_expected_) {
    done_at_ = ended;
    if (all_done_) all_done_();
  }
  co_return appended;
}

asio::awaitable<Result<void>> TimedSessionStore::create_session(SessionRecord record, nlohmann::json definition,
                                                                std::vector<Event> first_events) {
  co_return co_await inner_->create_session(std::move(record), std::move(definition), std::move(first_events));
}

asio::awaitable<Result<SessionRecord>> TimedSessionStore::get_session(SessionId id) {
  co_return co_await inner_->get_session(std::move(id));
}

asio::awaitable<Result<std::vector<SessionRecord>>> TimedSessionStore::list_sessions(SessionQuery query) {
  co_return co_await inner_->list_sessions(std::move(query));
}

asio::awaitable<Result<std::vector<SessionCount>>> TimedSessionStore::count_sessions() {
  co_return co_await inner_->count_sessions();
}

asio::awaitable<Result<nlohmann::json>> TimedSessionStore::get_definition(std::string hash) {
  co_return co_await inner_->get_definition(std::move(hash));
}

asio::awaitable<Result<LeaseEpoch>> TimedSessionStore::claim(SessionId id) {
  co_return co_await inner_->claim(std::move(id));
}

asio::awaitable<Result<std::vector<Event>>> TimedSessionStore::read_events(SessionId id, EventSeq after,
                                                                           std::size_t limit) {
  co_return co_await inner_->read_events(std::move(id), after, limit);
}

asio::awaitable<Result<std::int64_t>> TimedSessionStore::reset(ResetRequest request) {
  co_return co_await inner_->reset(std::move(request));
}

asio::awaitable<Result<std::vector<ArchivedBranch>>> TimedSessionStore::read_archived_branches(SessionId id) {
  co_return co_await inner_->read_archived_branches(std::move(id));
}

asio::awaitable<Result<void>> TimedSessionStore::save_checkpoint(SessionId id, LeaseEpoch epoch,
                                                                 Checkpoint checkpoint) {
  co_return co_await inner_->save_checkpoint(std::move(id), epoch, std::move(checkpoint));
}

asio::awaitable<Result<std::optional<Checkpoint>>> TimedSessionStore::load_checkpoint(SessionId id) {
  co_return co_await inner_->load_checkpoint(std::move(id));
}

asio::awaitable<Result<bool>> TimedSessionStore::enqueue(SessionId id, InboxMessage message) {
  co_return co_await inner_->enqueue(std::move(id), std::move(message));
}

asio::awaitable<Result<std::vector<InboxMessage>>> TimedSessionStore::pending_messages(SessionId id,
                                                                                       std::size_t limit) {
  co_return co_await inner_->pending_messages(std::move(id), limit);
}

}  // namespace agentrt::serve::bench
