#pragma once
// LogContext: what a log line about one session says about it (docs/observability.md, "Logs").
// Passed explicitly to the code that logs, never kept in a thread-local: a coroutine resumes
// on any thread. The tracing work fills trace_id and span_id.
//
// log_in() hands the context to the default logger's sinks as the line's logger name,
// "worker=W org=O bot=B session=S trace_id=T span_id=P" (only the fields that are set): the
// human format of `agentrt run` prints it in brackets, and serve's JSON formatter
// (serve/json_log_formatter.hpp) turns each pair into a field. Values are ids, without spaces.

#include <string>
#include <utility>

#include <spdlog/spdlog.h>

namespace agentrt {

struct LogContext {
  std::string worker{};
  std::string org{};
  std::string bot{};
  std::string session{};
  std::string trace_id{};
  std::string span_id{};

  [[nodiscard]] bool empty() const {
    return worker.empty() && org.empty() && bot.empty() && session.empty() && trace_id.empty() && span_id.empty();
  }
  // "worker=W org=O ..." with the fields that are set, in that order.
  [[nodiscard]] std::string logger_name() const;
};

// Logs like spdlog::log, with `context`'s fields on the line. Cheap when the level is off.
template <class... Args>
void log_in(const LogContext& context, spdlog::level::level_enum level, spdlog::format_string_t<Args...> format,
            Args&&... args) {
  spdlog::logger* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  if (context.empty()) {
    logger->log(level, format, std::forward<Args>(args)...);
    return;
  }
  spdlog::logger scoped(context.logger_name(), logger->sinks().begin(), logger->sinks().end());
  scoped.set_level(logger->level());
  scoped.log(level, format, std::forward<Args>(args)...);
}

}  // namespace agentrt
