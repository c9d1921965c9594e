// serve's JSON log lines: one object per line, RFC 3339 UTC ms timestamps, the session context
// of log_in() as fields, and any message (quotes, newlines, bytes that are not UTF-8) escaped.
#include "serve/json_log_formatter.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "core/runtime/log_context.hpp"

namespace agentrt::serve {
namespace {

using json = nlohmann::json;

spdlog::details::log_msg message(std::string_view logger, spdlog::level::level_enum level, std::string_view text) {
  spdlog::details::log_msg msg(spdlog::source_loc{}, spdlog::string_view_t(logger.data(), logger.size()), level,
                               spdlog::string_view_t(text.data(), text.size()));
  msg.time = std::chrono::system_clock::time_point{std::chrono::milliseconds{1'765'076'645'123}};
  return msg;
}

TEST(JsonLogFormatter, OneObjectWithTimestampLevelWorkerAndMessage) {
  const auto line = format_json_log_line(message("agentrt", spdlog::level::warn, "started"), "serve:web-1:42");
  const auto doc = json::parse(line);
  EXPECT_EQ(doc["ts"], "2025-12-07T03:04:05.123Z");
  EXPECT_EQ(doc["level"], "warning");
  EXPECT_EQ(doc["worker"], "serve:web-1:42");
  EXPECT_EQ(doc["msg"], "started");
  EXPECT_FALSE(doc.contains("session")) << "not about a session";
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(JsonLogFormatter, QuotesNewlinesAndBytesThatAreNotUtf8StayOneValidLine) {
  const std::string text = "he said \"stop\"\nthen \\ left \x01 \xff\xfe end";
  const auto line = format_json_log_line(message("agentrt", spdlog::level::err, text), "w");
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  const auto doc = json::parse(line);  // throws on invalid JSON or UTF-8
  const auto msg = doc["msg"].get<std::string>();
  EXPECT_EQ(msg.substr(0, 27), "he said \"stop\"\nthen \\ left ");
  EXPECT_NE(msg.find("\xEF\xBF\xBD"), std::string::npos) << "invalid bytes become U+FFFD";
  EXPECT_EQ(doc["level"], "error");
}

TEST(JsonLogFormatter, TheSessionContextBecomesFields) {
  LogContext context{"w-9", "acme", "helpdesk", "s-1", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"};
  const auto line = format_json_log_line(message(context.logger_name(), spdlog::level::info, "hello"), "w-default");
  const auto doc = json::parse(line);
  EXPECT_EQ(doc["worker"], "w-9") << "the context's worker wins";
  EXPECT_EQ(doc["org"], "acme");
  EXPECT_EQ(doc["bot"], "helpdesk");
  EXPECT_EQ(doc["session"], "s-1");
  EXPECT_EQ(doc["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(doc["span_id"], "00f067aa0ba902b7");
  EXPECT_EQ(doc["msg"], "hello");
}

TEST(JsonLogFormatter, LogInWritesThroughTheDefaultLoggersSinksWithItsContext) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(std::make_unique<JsonLogFormatter>("w-1"));
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("agentrt", sink));
  spdlog::set_level(spdlog::level::info);
  log_in(LogContext{{}, "acme", "bot", "s-7"}, spdlog::level::info, "turn {} done", 3);
  log_in(LogContext{}, spdlog::level::info, "no session");
  log_in(LogContext{{}, "acme", "bot", "s-7"}, spdlog::level::debug, "filtered out");
  spdlog::set_default_logger(previous);

  std::istringstream lines(out.str());
  std::string first, second, third;
  ASSERT_TRUE(std::getline(lines, first));
  ASSERT_TRUE(std::getline(lines, second));
  EXPECT_FALSE(std::getline(lines, third)) << "debug is below the level";
  const auto a = json::parse(first);
  EXPECT_EQ(a["session"], "s-7");
  EXPECT_EQ(a["org"], "acme");
  EXPECT_EQ(a["worker"], "w-1");
  EXPECT_EQ(a["msg"], "turn 3 done");
  const auto b = json::parse(second);
  EXPECT_FALSE(b.contains("session"));
  EXPECT_EQ(b["msg"], "no session");
}

}  // namespace
}  // namespace agentrt::serve
