#include "backends/tools/http_tool_runner.hpp"

#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

#include "backends/http/retry_after.hpp"
#include "backends/http/retry_timing.hpp"
#include "backends/http/text_excerpt.hpp"
#include "backends/http/url.hpp"
#include "backends/tools/http_tool_request.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// What one try came to: a final result, or a transient failure to retry.
struct TryOutcome {
  ToolResult result;
  bool transient = false;
  std::optional<milliseconds> retry_after;
};

class HttpToolRunner final : public ToolRunner {
 public:
  HttpToolRunner(CurlClient& http, HttpToolRunnerOptions options)
      : http_(http),
        options_(options),
        jitter_(options.jitter_seed ? RetryJitter(*options.jitter_seed) : RetryJitter()) {}

  asio::awaitable<Result<ToolResult>> run(ToolInvocation invocation) override {
    const ToolDefinition* tool = invocation.tool;
    if (tool == nullptr || tool->kind != ToolKind::http) {
      co_return Error{Errc::invalid, "http tool runner: tool " + (tool ? tool->name : std::string("(null)")) + " is not an http tool"};
    }
    auto built = build_http_tool_request(*tool, invocation.arguments);
    if (!built) co_return ToolResult{false, built.error().message, 0};
    HttpRequest request = std::move(built).value();
    if (!invocation.idempotency_key.empty()) request.headers.emplace_back("Idempotency-Key", invocation.idempotency_key);
    if (!invocation.traceparent.empty()) request.headers.emplace_back("traceparent", invocation.traceparent);
    request.timeout = tool->timeout;
    request.response_bytes_max = options_.output_bytes_max;
    request.truncate_body = true;

    const int attempts = std::max(1, tool->retry.attempts);
    for (int attempt = 1;; ++attempt) {
      auto response = co_await http_.request(request);
      if (!response && response.error().code == Errc::cancelled) co_return response.error();
      TryOutcome outcome = judge(request, response);
      outcome.result.attempts = attempt;
      if (!outcome.transient || attempt >= attempts) co_return std::move(outcome.result);
      const milliseconds delay = retry_delay(tool->retry, attempt + 1, jitter_.next(), outcome.retry_after);
      spdlog::info("tool {} try {}/{} failed: {}; retrying in {} ms", tool->name, attempt, attempts,
                   outcome.result.output, delay.count());
      if (auto slept = co_await sleep_for(delay); !slept) co_return slept.error();
    }
  }

 private:
  TryOutcome judge(const HttpRequest& request, const Result<HttpResponse>& response) const {
    if (!response) return TryOutcome{{false, response.error().message, 0}, response.error().retryable(), std::nullopt};
    const long status = response->status;
    if (status >= 200 && status < 300) return TryOutcome{{true, bounded_output(*response), 0}, false, std::nullopt};
    std::string message = "HTTP " + std::to_string(status) + " from " + request.method + " " + redact_url(request.url);
    if (!response->body.empty()) message += ": " + text_excerpt(response->body, options_.error_excerpt_bytes);
    const bool transient = status == 429 || status >= 500;
    std::optional<milliseconds> retry_after;
    if (const auto header = response->header("Retry-After"); header && transient) {
      retry_after = parse_retry_after(*header, std::chrono::system_clock::now());
    }
    return TryOutcome{{false, std::move(message), 0}, transient, retry_after};
  }

  // The body, valid UTF-8, never longer than output_bytes_max, with a marker when cut.
  std::string bounded_output(const HttpResponse& response) const {
    std::string body = utf8_sanitized(response.body);  // replacements may lengthen it
    const std::size_t limit = options_.output_bytes_max;
    if (!response.truncated && body.size() <= limit) return body;
    const auto marker_for = [](std::size_t kept) {
      return "\n[agentrt: output truncated, " + std::to_string(kept) + " bytes shown]";
    };
    const std::size_t reserve = marker_for(limit).size();  // the longest marker this limit needs
    if (reserve >= limit) return marker_for(0).substr(0, limit);
    const std::size_t kept = utf8_boundary(body, limit - reserve);
    return body.substr(0, kept) + marker_for(kept);
  }

  CurlClient& http_;
  HttpToolRunnerOptions options_;
  RetryJitter jitter_;
};

}  // namespace

std::unique_ptr<ToolRunner> make_http_tool_runner(CurlClient& http) {
  return std::make_unique<HttpToolRunner>(http, HttpToolRunnerOptions{});
}

std::unique_ptr<ToolRunner> make_http_tool_runner(CurlClient& http, HttpToolRunnerOptions options) {
  return std::make_unique<HttpToolRunner>(http, options);
}

}  // namespace agentrt
