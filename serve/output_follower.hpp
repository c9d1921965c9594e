#pragma once
// OutputFollower: one client's view of a session's output stream, whatever carries it (SSE,
// Socket.IO, gRPC StreamEvents). It yields every durable output event after the client's seq
// exactly once and in order, and live tokens, across workers and crashes (docs/streaming.md):
//
//   OutputFollower follower(store, hub, record, from_seq, options);
//   for (;;) {
//     FollowStep step = co_await follower.next();   // waits up to poll_interval
//     send(step.events);                             // may be empty: nothing new
//     if (step.end != FollowEnd::none) break;        // finished, slow_consumer, unavailable
//   }
//
// `covered()` is the seq up to which every history event has been looked at; it is where a
// client resumes. Live events that follow on from it (OutputEvent::follows_seq) go out at
// once; anything else, and silence, is answered from the store.
// Threading: the hub's executor; one next() at a time.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/model/session.hpp"
#include "core/ports/output_hub.hpp"
#include "core/ports/session_store.hpp"

namespace agentrt::serve {

struct FollowOptions {
  std::chrono::milliseconds poll_interval{500};  // store reads while the hub is silent
  std::size_t page = 500;                        // events per store read
  SubscriberLimits subscriber;                   // live buffer of this client
};

enum class FollowEnd {
  none,           // more may come
  finished,       // the session reached a terminal status (its event is in this step)
  slow_consumer,  // the client fell behind its live buffer: resume from covered()
  unavailable,    // the store could not be read: resume from covered()
};

struct FollowStep {
  std::vector<OutputEvent> events;
  FollowEnd end = FollowEnd::none;
};

class OutputFollower {
 public:
  OutputFollower(SessionStore& store, OutputHub& hub, SessionRecord record, std::int64_t from_seq,
                 FollowOptions options);

  boost::asio::awaitable<FollowStep> next();
  [[nodiscard]] std::int64_t covered() const { return covered_; }

 private:
  boost::asio::awaitable<bool> apply(const OutputEvent& event, FollowStep& step);
  boost::asio::awaitable<bool> catch_up(FollowStep& step);
  void take(const OutputEvent& event, FollowStep& step);

  SessionStore& store_;
  OutputHub& hub_;
  SessionRecord record_;
  FollowOptions options_;
  std::int64_t covered_;
  bool started_ = false;
  bool finished_ = false;
  std::unique_ptr<OutputSubscription> subscription_;
};

}  // namespace agentrt::serve
