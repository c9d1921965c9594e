#include "serve/lifecycle_events.hpp"

#include <utility>

#include "core/decider/session_state.hpp"

namespace agentrt::serve {
namespace {

using json = nlohmann::json;

// Watches one activation's durable events; the session's traceparent comes with its state.
class LifecycleObserver final : public RunObserver {
 public:
  LifecycleObserver(LifecycleEvents& events, std::string session, std::string org, std::string bot)
      : events_(events), session_(std::move(session)), org_(std::move(org)), bot_(std::move(bot)) {}

  void on_state(const SessionId& /*session*/, const SessionState& state) override {
    traceparent_ = state.traceparent;
  }

  void on_event(const SessionId& /*session*/, const Event& event) override {
    LifecycleEvents::Fields f{{}, session_, org_, bot_, event.seq.value, event.time_ms, traceparent_, json::object()};
    switch (event.type) {
      case EventType::TurnCompleted:
        f.type = "turn_completed";
        f.extra["turn"] = event.data.value("turn", 0);
        break;
      case EventType::InputRequested:
        f.type = "waiting";
        f.extra["call_id"] = event.data.value("call_id", "");
        f.extra["kind"] = event.data.value("kind", "");
        break;
      case EventType::SessionFailed:
        f.type = "failed";
        f.extra["reason"] = event.data.value("reason", "");
        break;
      case EventType::SessionCompleted:
        f.type = "completed";
        break;
      default:
        return;
    }
    events_.publish(f);
  }

 private:
  LifecycleEvents& events_;
  std::string session_;
  std::string org_;
  std::string bot_;
  std::string traceparent_;
};

}  // namespace

LifecycleEvents::LifecycleEvents(EventBusProducer& producer, std::string topic, ServeMetrics* metrics)
    : producer_(producer), topic_(std::move(topic)), metrics_(metrics) {}

void LifecycleEvents::session_created(const SessionRecord& record, const std::string& traceparent) {
  publish(Fields{"created", record.id.str(), record.org.str(), record.bot.str(), record.last_seq.value,
                 record.created_ms, traceparent, json::object()});
}

std::unique_ptr<RunObserver> LifecycleEvents::observer(const SessionId& session, std::string org, std::string bot) {
  return std::make_unique<LifecycleObserver>(*this, session.str(), std::move(org), std::move(bot));
}

void LifecycleEvents::publish(const Fields& f) {
  json doc{{"type", "session." + f.type}, {"session", f.session}, {"org", f.org}, {"bot", f.bot},
           {"seq", f.seq},                {"time_ms", f.time_ms}};
  for (const auto& [key, value] : f.extra.items()) doc[key] = value;
  BusMessage message{topic_, f.session, doc.dump(), {{"agentrt-event", "session." + f.type}}};
  if (!f.traceparent.empty()) message.headers.emplace_back("traceparent", f.traceparent);
  const bool queued = producer_.publish(std::move(message));
  ++(queued ? published_ : dropped_);
  if (metrics_ != nullptr) metrics_->kafka_events.Add({{"outcome", queued ? "queued" : "dropped"}}).Increment();
}

}  // namespace agentrt::serve
