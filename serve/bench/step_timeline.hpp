#pragma once
// The timestamps serve_bench measures the runtime's overhead with. The fakes call
// request_issued() as soon as a step's request reaches them and result_returned() just before
// they hand a result back; the overhead of a step is the time from the previous step's result
// to this step's request, per session: everything the runtime does in between (record the
// result durably, decide, record the next request, launch it). A session's first request
// follows a dispatch, not a step, so it gives no sample.
// Used from the io_context thread only.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace agentrt::serve::bench {

class StepTimeline {
 public:
  using Clock = std::chrono::steady_clock;

  explicit StepTimeline(std::size_t expected_samples) { overhead_us_.reserve(expected_samples); }

  // `idempotency_key` is "<session>:<seq>": the session is the part before the last ':'.
  void request_issued(std::string_view idempotency_key, Clock::time_point at);
  void result_returned(std::string_view idempotency_key, Clock::time_point at);

  [[nodiscard]] const std::vector<double>& overhead_us() const { return overhead_us_; }
  [[nodiscard]] std::size_t requests() const { return requests_; }

 private:
  static std::string session_of(std::string_view idempotency_key);

  std::unordered_map<std::string, Clock::time_point> last_result_;  // by session
  std::vector<double> overhead_us_;
  std::size_t requests_ = 0;
};

}  // namespace agentrt::serve::bench
