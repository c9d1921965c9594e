#pragma once
// ObserverFanout: one RunObserver that forwards to several (the output publisher, metrics,
// tracing). A null entry is skipped, so callers can add optional observers unconditionally.
// Not owning: every observer must outlive the runner that calls this.

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/runtime/run_observer.hpp"

namespace agentrt {

class ObserverFanout final : public RunObserver {
 public:
  void add(RunObserver* observer) {
    if (observer != nullptr) observers_.push_back(observer);
  }
  [[nodiscard]] bool empty() const { return observers_.empty(); }

  void on_event(const SessionId& session, const Event& event) override {
    for (RunObserver* observer : observers_) observer->on_event(session, event);
  }
  void on_token(const SessionId& session, std::string_view text) override {
    for (RunObserver* observer : observers_) observer->on_token(session, text);
  }
  void on_state(const SessionId& session, const SessionState& state) override {
    for (RunObserver* observer : observers_) observer->on_state(session, state);
  }
  void on_step_timing(const SessionId& session, const StepTiming& timing) override {
    for (RunObserver* observer : observers_) observer->on_step_timing(session, timing);
  }
  void on_message_recorded(const SessionId& session, std::int64_t enqueued_ms, std::int64_t recorded_ms) override {
    for (RunObserver* observer : observers_) observer->on_message_recorded(session, enqueued_ms, recorded_ms);
  }

 private:
  std::vector<RunObserver*> observers_;
};

}  // namespace agentrt
