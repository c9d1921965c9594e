#pragma once
// JsonLogFormatter: serve's log lines as JSON, one object per line on stderr
// (docs/observability.md, "Logs"):
//   {"ts":"2026-12-07T03:04:05.123Z","level":"warn","worker":"serve:web-1:42",
//    "org":"acme","bot":"helpdesk","session":"s-1","msg":"..."}
// ts is RFC 3339 UTC with milliseconds. org, bot, session, trace_id and span_id appear when
// the line was logged about a session (log_in with a LogContext, core/runtime/log_context.hpp,
// which travels as the logger name); a context's worker wins over the formatter's. The
// message is JSON-escaped; bytes that are not UTF-8 become U+FFFD.

#include <memory>
#include <string>

#include <spdlog/formatter.h>

namespace agentrt::serve {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  explicit JsonLogFormatter(std::string worker) : worker_(std::move(worker)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  std::string worker_;
};

// Formats one line as the formatter would, for tests and for callers without a logger.
std::string format_json_log_line(const spdlog::details::log_msg& msg, const std::string& worker);

}  // namespace agentrt::serve
