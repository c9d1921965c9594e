#pragma once
// LifecycleEvents: a session's lifecycle as events on the bus (Kafka: kafka.lifecycle_topic),
// one JSON document per event, keyed by session id (so one session's events stay in order on
// one partition), with the session's `traceparent` as a header (docs/serve.md "Kafka"):
//   {"type": "session.created" | "session.turn_completed" | "session.waiting" |
//            "session.failed" | "session.completed",
//    "session", "org", "bot", "seq", "time_ms", ...}   plus turn (turn_completed),
//    call_id and kind (waiting), reason (failed).
// created comes from the API when it has stored the session; the others from the durable
// events the runner reports (observer()), so a step redone after a crash may publish its
// event twice (at-least-once; consumers deduplicate by session and seq).
// Never blocks the runtime: the producer's publish() only queues; a full queue is counted
// (agentrt_kafka_lifecycle_events_total{outcome="dropped"}) and logged by the producer.
// Threads: call from the serve executor (the observer runs on the runner's).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/model/session.hpp"
#include "core/ports/event_bus.hpp"
#include "core/runtime/run_observer.hpp"
#include "serve/metrics/serve_metrics.hpp"

namespace agentrt::serve {

class LifecycleEvents {
 public:
  LifecycleEvents(EventBusProducer& producer, std::string topic, ServeMetrics* metrics = nullptr);

  void session_created(const SessionRecord& record, const std::string& traceparent);
  // The observer of one activation of `session` (an org's session of `bot`).
  [[nodiscard]] std::unique_ptr<RunObserver> observer(const SessionId& session, std::string org, std::string bot);

  struct Fields {
    std::string type;  // without the "session." prefix
    std::string session;
    std::string org;
    std::string bot;
    std::int64_t seq = 0;
    std::int64_t time_ms = 0;
    std::string traceparent;
    nlohmann::json extra = nlohmann::json::object();
  };
  void publish(const Fields& fields);

  [[nodiscard]] std::uint64_t published() const { return published_; }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

 private:
  EventBusProducer& producer_;
  std::string topic_;
  ServeMetrics* metrics_;
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace agentrt::serve
