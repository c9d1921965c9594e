#pragma once
// OutputHub: fans a session's output events out to the clients streaming it (DESIGN.md,
// ports). The worker that runs a session publishes; any front end subscribes. The embedded
// default is in-process (InProcessOutputHub); production puts Redis pub/sub behind the same
// port so a client on worker A sees a session running on worker B.
//
// The hub is a fast path, never the source of truth: a subscriber that falls behind, or a
// publish that is lost, costs latency, not events, because the history in the store holds
// every durable event and a subscriber reads it for whatever seqs it has not seen
// (docs/streaming.md). So publish never blocks the runtime on a slow client, and each
// subscription is bounded.

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/model/error.hpp"
#include "core/model/ids.hpp"
#include "core/stream/output_event.hpp"

namespace agentrt {

struct SubscriberLimits {
  std::size_t max_events = 4096;       // buffered, not yet taken by next()
  std::size_t max_bytes = 1024 * 1024; // approximate_bytes() of those
};

struct OutputBatch {
  std::vector<OutputEvent> events;  // in publish order; may be empty (the wait ended)
  // The subscriber fell behind its limits and events were dropped after `events`: read the
  // store for the durable ones, and expect no more from this subscription.
  bool overflowed = false;
};

class OutputSubscription {
 public:
  virtual ~OutputSubscription() = default;
  // The events published since the last call (or since subscribe), waiting up to `max_wait`
  // for at least one. Cancellable. Call from one coroutine at a time.
  virtual boost::asio::awaitable<Result<OutputBatch>> next(std::chrono::milliseconds max_wait) = 0;
};

class OutputHub {
 public:
  virtual ~OutputHub() = default;
  // Delivers to every current subscriber of `session`. Durable events come in seq order, each
  // once per publisher. Never waits on a subscriber.
  virtual boost::asio::awaitable<Result<void>> publish(SessionId session, std::vector<OutputEvent> events) = 0;
  // Receives what is published from now on (subscribe first, then read the store, and no
  // event falls between the two). Ends when the subscription is destroyed.
  [[nodiscard]] virtual std::unique_ptr<OutputSubscription> subscribe(const SessionId& session,
                                                                      SubscriberLimits limits) = 0;
};

}  // namespace agentrt
