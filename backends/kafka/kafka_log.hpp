#pragma once
// Logging for the Kafka adapters: librdkafka's own log lines through spdlog, and warnings
// rate-limited (a broker outage reports the same error many times a second).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include <librdkafka/rdkafka.h>

namespace agentrt::kafka {

void log_to_spdlog(const rd_kafka_t* rk, int level, const char* facility, const char* message);

class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::string what, std::chrono::seconds interval = std::chrono::seconds(10))
      : what_(std::move(what)), interval_(interval) {}
  void warn(const std::string& message);  // thread-safe

 private:
  std::string what_;
  std::chrono::seconds interval_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t suppressed_ = 0;
};

}  // namespace agentrt::kafka
