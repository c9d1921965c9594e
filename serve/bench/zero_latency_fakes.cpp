#include "serve/bench/zero_latency_fakes.hpp"

#include <functional>
#include <string_view>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <utility>

namespace agentrt::serve::bench {

std::int64_t SystemClock::wall_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::chrono::steady_clock::time_point SystemClock::monotonic() const { return std::chrono::steady_clock::now(); }

// Steps taken since the newest user message: one per assistant reply and one per tool result.
LlmReply ZeroLatencyLlm::reply_to(const nlohmann::json& messages) const {
  int taken = 0;
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    const auto role = it->value("role", std::string{});
    if (role == "user") break;
    if (role == "assistant" || role == "tool") ++taken;
  }
  const int left_after_this = steps_ - taken - 1;
  LlmReply reply;
  reply.tokens_in = 10;
  reply.tokens_out = 5;
  if (left_after_this <= 0) {
    reply.content = "done";
    reply.finish_reason = "stop";
    return reply;
  }
  const int calls = left_after_this == 3 ? 2 : 1;
  for (int i = 0; i < calls; ++i) {
    const int n = taken + i + 1;
    reply.tool_calls.push_back(
        LlmToolCall{"call_" + std::to_string(n), kEffectTool, "{\"n\":" + std::to_string(n) + "}"});
  }
  reply.finish_reason = "tool_calls";
  return reply;
}

namespace {

// The remote side's time, if the bench adds any: a timer, as a real call is I/O, not CPU. It
// varies from 0.5x to 1.5x the mean by the call's idempotency key (deterministic): identical
// latencies would march all sessions in lockstep, a herd no real model produces.
boost::asio::awaitable<void> simulate(std::chrono::microseconds mean, std::string_view key) {
  if (mean.count() <= 0) co_return;
  const auto spread = static_cast<std::int64_t>(std::hash<std::string_view>{}(key) % 1001);  // 0..1000
  const std::chrono::microseconds latency{mean.count() / 2 + mean.count() * spread / 1000};
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, latency);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace

boost::asio::awaitable<Result<LlmReply>> ZeroLatencyLlm::complete(LlmRequest request, TokenSink on_token) {
  timeline_->request_issued(request.idempotency_key, StepTimeline::Clock::now());
  ++calls_;
  co_await simulate(latency_, request.idempotency_key);
  LlmReply reply = reply_to(request.messages);
  if (on_token && !reply.content.empty()) on_token(reply.content);
  timeline_->result_returned(request.idempotency_key, StepTimeline::Clock::now());
  co_return reply;
}

boost::asio::awaitable<Result<ToolResult>> ZeroLatencyTools::run(ToolInvocation invocation) {
  timeline_->request_issued(invocation.idempotency_key, StepTimeline::Clock::now());
  ++calls_;
  co_await simulate(latency_, invocation.idempotency_key);
  ToolResult result{true, "applied " + invocation.arguments.dump(), 1};
  timeline_->result_returned(invocation.idempotency_key, StepTimeline::Clock::now());
  co_return result;
}

}  // namespace agentrt::serve::bench
