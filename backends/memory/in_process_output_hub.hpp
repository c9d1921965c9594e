#pragma once
// InProcessOutputHub: the OutputHub of one process (the embedded default, DESIGN.md ports).
// A worker's sessions publish here and this process's streaming clients subscribe; a client
// of a session that runs in another process gets nothing from it and catches up from the
// store instead (docs/streaming.md), which is correct, only slower.
//
// Bounded: each subscription buffers at most SubscriberLimits; past them it drops what it
// cannot hold, reports `overflowed` once and receives nothing more (its client is then told
// to resume by seq). A slow subscriber never slows publish() or the other subscribers.
//
// Threading: every member, and every subscription's next(), runs on the hub's executor (one
// thread: the serve io_context). Subscriptions may outlive the hub; they then only time out.

#include <cstddef>
#include <map>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/ports/output_hub.hpp"

namespace agentrt {

class InProcessOutputHub final : public OutputHub {
 public:
  explicit InProcessOutputHub(boost::asio::any_io_executor executor);
  ~InProcessOutputHub() override;
  InProcessOutputHub(const InProcessOutputHub&) = delete;
  InProcessOutputHub& operator=(const InProcessOutputHub&) = delete;

  boost::asio::awaitable<Result<void>> publish(SessionId session, std::vector<OutputEvent> events) override;
  [[nodiscard]] std::unique_ptr<OutputSubscription> subscribe(const SessionId& session, SubscriberLimits limits) override;

  [[nodiscard]] std::size_t subscriber_count() const;

  struct Registry;  // the subscribers by session, shared with the subscriptions

 private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<Registry> registry_;
};

}  // namespace agentrt
