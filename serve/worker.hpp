#pragma once
// The worker of `agentrt serve`: a dispatcher that claims runnable sessions (new inbox
// messages, due timers, turns whose owner died) through their lease, and one activation per
// claimed session. Bounded: at most max_active sessions at once, and at most org_quotas[org]
// of one org; work over the bound stays in the store (backpressure), never queued in memory.
//
// An activation is one TaskGroup (DESIGN.md, per-session task groups) of four children:
//   heartbeat     renews the lease every lease.heartbeat; a lost lease fails the group,
//                 which cancels the orchestrator at once (it writes nothing more: every
//                 append is fenced by the epoch anyway);
//   inbox         polls the session's inbox while it runs, so a message enqueued by another
//                 process mid-turn is recorded at the runner's next step;
//   orchestrator  the SessionRunner, until the session is quiescent (idle with an empty
//                 inbox, waiting for input, asleep, finished); then it stops its siblings;
//   publisher     hands the session's output events (and streamed tokens) to the OutputHub
//                 for the clients watching it (OutputPublisher); absent without a hub.
// Then the lease is released, so a message or a due timer wakes the session on whichever
// worker is free; a quiescent session holds no lease and no memory here.
//
// Threading: everything runs on the worker's executor (one io_context thread).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/model/definition.hpp"
#include "core/ports/clock.hpp"
#include "core/ports/kv_store.hpp"
#include "core/ports/lease_store.hpp"
#include "core/ports/output_hub.hpp"
#include "core/ports/session_store.hpp"
#include "core/ports/span_sink.hpp"
#include "core/runtime/held_lease.hpp"
#include "serve/lifecycle_events.hpp"
#include "serve/metrics/serve_metrics.hpp"
#include "serve/session_adapters.hpp"

namespace agentrt {
class TaskGroup;
}

namespace agentrt::serve {

struct WorkerOptions {
  std::string worker_id;  // the lease owner
  LeaseTiming lease;
  std::size_t max_active = 64;
  std::map<std::string, std::size_t> org_quotas;
  std::chrono::milliseconds poll_interval{200};
};

// Loads a pinned definition (canonical JSON) by its hash. Unset: SessionStore::get_definition.
// Set: a read-through cache in front of the store (Redis), which reads the store on a miss.
using DefinitionLoader = std::function<boost::asio::awaitable<Result<nlohmann::json>>(const std::string& hash)>;

struct WorkerPorts {
  SessionStore* store = nullptr;
  LeaseStore* leases = nullptr;
  const Clock* clock = nullptr;
  SessionAdaptersFactory adapters;
  OutputHub* hub = nullptr;  // optional: where running sessions publish their output
  SpanSink* spans = nullptr;  // optional: where each activation's spans go (tracing on)
  ServeMetrics* metrics = nullptr;  // optional: lease, activation and session metrics
  LifecycleEvents* lifecycle = nullptr;  // optional: sessions' lifecycle events to the bus
  DefinitionLoader load_definition{};  // optional: see DefinitionLoader
  KvStore* kv = nullptr;  // optional: the KV of the kv_get/kv_put tools (each session's org and bot)
};

struct WorkerStats {
  std::uint64_t activations = 0;  // leases taken
  std::uint64_t quiescent = 0;    // activations that ran to quiescence
  std::uint64_t lost = 0;         // stopped by a lost lease or a fenced append
  std::uint64_t failed = 0;       // stopped by another error (store down, bad definition)
  std::uint64_t cancelled = 0;    // stopped by shutdown
};

class Worker {
 public:
  Worker(boost::asio::any_io_executor executor, WorkerPorts ports, WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Claims and runs sessions until stop_claiming(); then returns once every activation ended.
  boost::asio::awaitable<void> run();
  // New work may be waiting (this process enqueued a message): look now, not at the next poll.
  void wake();
  // A message for `session` was enqueued by this process: the running activation takes it at
  // its next step; otherwise the dispatcher looks now.
  void inbox_changed(const SessionId& session);
  // Drain: claim nothing more; running activations go on.
  void stop_claiming();
  // A configuration reload changed the org quotas: claims from now on follow them; sessions
  // already running over a lowered quota finish their activation (none is stopped for it).
  void set_org_quotas(std::map<std::string, std::size_t> quotas);
  // The grace period is over: cancel every activation (each stops its runner, then releases
  // its lease; calls in flight are redone by the next owner with the same idempotency keys).
  void cancel_all();

  [[nodiscard]] std::size_t active() const { return active_.size(); }
  [[nodiscard]] bool claiming() const { return claiming_; }
  // False after the last look for work failed (the store is down or locked): not ready.
  [[nodiscard]] bool store_reachable() const { return store_reachable_; }
  [[nodiscard]] const WorkerStats& stats() const { return stats_; }
  [[nodiscard]] const std::string& worker_id() const { return options_.worker_id; }

 private:
  struct Activation;
  struct LoadedDefinition;

  boost::asio::awaitable<void> dispatch_once();
  // Activates what surplus_ holds, best first, while there is room; keeps the rest.
  void take_from_surplus();
  [[nodiscard]] bool has_room_for(const std::string& org) const;
  boost::asio::awaitable<void> activate(RunnableSession session);
  boost::asio::awaitable<Result<std::shared_ptr<LoadedDefinition>>> definition_for(const SessionRecord& record);
  void finished(const SessionId& id, const std::string& org);
  // Counts into ports_.metrics, when there are metrics. `label` is the reason or the outcome.
  enum class ServeMetricsCount { acquired, conflict, acquire_error, activation_ended, lease_lost, running, stopped };
  void count(ServeMetricsCount what, std::string_view label, const std::string& org);
  // A session whose activation failed (bad definition, store error) is not claimed again
  // before its backoff ends, so a poison session cannot spin the dispatcher.
  void back_off(const SessionId& id);
  [[nodiscard]] bool backing_off(const SessionId& id, std::int64_t now_ms);

  boost::asio::any_io_executor executor_;
  WorkerPorts ports_;
  WorkerOptions options_;
  boost::asio::steady_timer wakeup_;
  bool claiming_ = true;
  bool store_reachable_ = true;
  std::map<SessionId, std::unique_ptr<Activation>> active_;
  std::map<std::string, std::size_t> active_per_org_;
  struct Backoff {
    int failures = 0;
    std::int64_t until_ms = 0;
  };
  std::map<SessionId, Backoff> backoff_;  // bounded: entries end when their session runs again
  // What the last look for work found beyond the free slots, best first, and when: a slot
  // freed soon after takes the next of these instead of searching the store again (each search
  // weighs hundreds of waiting sessions; at a few thousand steps/s one per freed slot took a
  // third of a core). Dropped when it ages past kSurplusMaxAge or when wake() says new work
  // arrived, so new messages are never stuck behind it.
  std::deque<RunnableSession> surplus_;
  std::chrono::steady_clock::time_point surplus_found_{};
  // By hash; bounded (cleared past a size: an activation keeps its own reference).
  std::map<std::string, std::shared_ptr<LoadedDefinition>> definitions_;
  WorkerStats stats_;
};

}  // namespace agentrt::serve
