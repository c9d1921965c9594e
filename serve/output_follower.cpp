#include "serve/output_follower.hpp"

#include <utility>

#include <spdlog/spdlog.h>

#include "core/runtime/log_context.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;

bool is_terminal_status(const OutputEvent& event) {
  if (event.kind != "status") return false;
  const auto status = event.data.value("status", "");
  return status == "completed" || status == "failed" || status == "cancelled";
}

}  // namespace

OutputFollower::OutputFollower(SessionStore& store, OutputHub& hub, SessionRecord record, std::int64_t from_seq,
                               FollowOptions options)
    : store_(store), hub_(hub), record_(std::move(record)), options_(options), covered_(from_seq) {}

asio::awaitable<FollowStep> OutputFollower::next() {
  FollowStep step;
  if (finished_) {
    step.end = FollowEnd::finished;
    co_return step;
  }
  if (!started_) {
    started_ = true;
    subscription_ = hub_.subscribe(record_.id, options_.subscriber);  // before reading the store
    if (!co_await catch_up(step)) {
      step.end = FollowEnd::unavailable;
    } else if (finished_ || (is_terminal(record_.status) && covered_ >= record_.last_seq.value)) {
      finished_ = true;
      step.end = FollowEnd::finished;
    }
    co_return step;
  }
  auto batch = co_await subscription_->next(options_.poll_interval);
  bool read_ok = true;
  if (!batch) {
    read_ok = co_await catch_up(step);  // the hub failed: the store is the truth
  } else {
    for (const auto& event : batch->events) {
      if (!co_await apply(event, step)) {
        read_ok = false;
        break;
      }
      if (finished_) break;
    }
    if (batch->events.empty() && read_ok) read_ok = co_await catch_up(step);  // quiet: maybe it runs elsewhere
    if (read_ok && batch->overflowed && !finished_) step.end = FollowEnd::slow_consumer;
  }
  if (!read_ok) step.end = FollowEnd::unavailable;
  if (finished_) step.end = FollowEnd::finished;
  co_return step;
}

asio::awaitable<bool> OutputFollower::apply(const OutputEvent& event, FollowStep& step) {
  const bool follows_on = event.follows_seq >= 0 && event.follows_seq <= covered_;
  if (event.durable) {
    if (event.seq <= covered_) co_return true;            // already read from the store
    if (!follows_on) co_return co_await catch_up(step);  // a gap: the store has it (and this one)
    take(event, step);
    covered_ = event.seq;
    co_return true;
  }
  if (!follows_on && !co_await catch_up(step)) co_return false;
  // A delta older than what the store gave is stale: the durable text already replaced it.
  if (event.seq >= covered_ && event.follows_seq >= 0 && event.follows_seq <= covered_) take(event, step);
  co_return true;
}

asio::awaitable<bool> OutputFollower::catch_up(FollowStep& step) {
  for (;;) {
    auto events = co_await store_.read_events(record_.id, EventSeq{covered_}, options_.page);
    if (!events) {
      log_in(LogContext{{}, record_.org.str(), record_.bot.str(), record_.id.str()}, spdlog::level::warn,
             "stream of session {}: store read failed: {}", record_.id.str(), events.error().to_string());
      co_return false;
    }
    for (const auto& e : *events) {
      covered_ = e.seq.value;
      if (auto output = output_event_of(e)) take(*output, step);
      if (finished_) co_return true;
    }
    if (events->size() < options_.page) co_return true;
  }
}

void OutputFollower::take(const OutputEvent& event, FollowStep& step) {
  step.events.push_back(event);
  if (is_terminal_status(event)) finished_ = true;
}

}  // namespace agentrt::serve
