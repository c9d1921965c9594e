#include "serve/bench/step_timeline.hpp"

namespace agentrt::serve::bench {

std::string StepTimeline::session_of(std::string_view idempotency_key) {
  const auto colon = idempotency_key.rfind(':');
  return std::string(colon == std::string_view::npos ? idempotency_key : idempotency_key.substr(0, colon));
}

void StepTimeline::request_issued(std::string_view idempotency_key, Clock::time_point at) {
  ++requests_;
  const auto it = last_result_.find(session_of(idempotency_key));
  if (it == last_result_.end()) return;
  overhead_us_.push_back(std::chrono::duration<double, std::micro>(at - it->second).count());
}

void StepTimeline::result_returned(std::string_view idempotency_key, Clock::time_point at) {
  last_result_.insert_or_assign(session_of(idempotency_key), at);
}

}  // namespace agentrt::serve::bench
