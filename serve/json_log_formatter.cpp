#include "serve/json_log_formatter.hpp"

#include <chrono>
#include <ctime>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace agentrt::serve {
namespace {

// "2026-12-07T03:04:05.123Z"
std::string rfc3339_utc_ms(std::chrono::system_clock::time_point at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms % 1000));
}

// The LogContext fields carried in the logger name: "key=value key=value" (see log_context.hpp).
// A plain logger name (no '=') carries none.
void add_context(std::string_view name, nlohmann::ordered_json& line) {
  while (!name.empty()) {
    const auto space = name.find(' ');
    const std::string_view pair = name.substr(0, space);
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos && equals > 0) {
      line[std::string(pair.substr(0, equals))] = std::string(pair.substr(equals + 1));
    }
    if (space == std::string_view::npos) break;
    name.remove_prefix(space + 1);
  }
}

}  // namespace

std::string format_json_log_line(const spdlog::details::log_msg& msg, const std::string& worker) {
  nlohmann::ordered_json line;
  line["ts"] = rfc3339_utc_ms(msg.time);
  const auto level = spdlog::level::to_string_view(msg.level);
  line["level"] = std::string(level.data(), level.size());
  line["worker"] = worker;
  add_context(std::string_view(msg.logger_name.data(), msg.logger_name.size()), line);
  line["msg"] = std::string(msg.payload.data(), msg.payload.size());
  // replace: a message may quote bytes from the network that are not UTF-8.
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const std::string line = format_json_log_line(msg, worker_);
  dest.append(line.data(), line.data() + line.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const { return std::make_unique<JsonLogFormatter>(worker_); }

}  // namespace agentrt::serve
