#include "backends/kafka/kafka_log.hpp"

#include <spdlog/spdlog.h>

namespace agentrt::kafka {

void log_to_spdlog(const rd_kafka_t* /*rk*/, int level, const char* facility, const char* message) {
  // syslog levels: 0..3 errors, 4 warning, 5..6 notice/info, 7 debug. librdkafka reports
  // transient broker trouble as errors too; the adapters count and warn about it themselves.
  const auto spd = level <= 4 ? spdlog::level::debug : spdlog::level::trace;
  spdlog::log(spd, "librdkafka {}: {}", facility, message);
}

void RateLimitedLog::warn(const std::string& message) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < interval_) {
    ++suppressed_;
    return;
  }
  if (suppressed_ > 0) {
    spdlog::warn("{}: {} ({} similar warnings suppressed)", what_, message, suppressed_);
  } else {
    spdlog::warn("{}: {}", what_, message);
  }
  last_ = now;
  suppressed_ = 0;
}

}  // namespace agentrt::kafka
