#pragma once
// Small fakes of the ports the SessionRunner calls out to, written for its tests: a wall
// clock, an LLM that returns scripted replies and records requests, and a tool runner that
// records idempotency keys, can wait on an Asio timer, can fail, and notices cancellation.
// All of them are used from one io_context thread; none is thread-safe.

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/ports/clock.hpp"
#include "core/ports/llm_provider.hpp"
#include "core/ports/tool_runner.hpp"

namespace agentrt::testing {

class WallClock final : public Clock {
 public:
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point monotonic() const override { return std::chrono::steady_clock::now(); }
};

// Waits `delay` on a timer of the current executor; false when the wait was cancelled.
inline boost::asio::awaitable<bool> wait_for(std::chrono::milliseconds delay) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  boost::system::error_code ec;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  co_return !ec;
}

struct RecordedLlmRequest {
  nlohmann::json messages;
  nlohmann::json tools;
  std::string idempotency_key;
  std::string api_key;
  std::string traceparent;
};

class FakeLlm final : public LlmProvider {
 public:
  void reply_text(std::string content) {
    LlmReply reply;
    reply.content = std::move(content);
    reply.tokens_in = 10;
    reply.tokens_out = 5;
    reply.finish_reason = "stop";
    replies_.emplace_back(std::move(reply));
  }
  void reply_tool_calls(std::vector<LlmToolCall> calls) {
    LlmReply reply;
    reply.tool_calls = std::move(calls);
    reply.tokens_in = 10;
    reply.tokens_out = 5;
    reply.finish_reason = "tool_calls";
    replies_.emplace_back(std::move(reply));
  }
  void reply_error(Error error) { replies_.emplace_back(std::move(error)); }

  boost::asio::awaitable<Result<LlmReply>> complete(LlmRequest request, TokenSink on_token) override {
    requests.push_back({request.messages, request.tools, request.idempotency_key, request.api_key, request.traceparent});
    if (on_call) on_call();
    if (delay.count() > 0 && !co_await wait_for(delay)) {
      ++cancelled;
      co_return Error{Errc::cancelled, "fake LLM: call cancelled"};
    }
    if (replies_.empty()) co_return Error{Errc::invalid, "fake LLM: no scripted reply left"};
    auto reply = std::move(replies_.front());
    replies_.pop_front();
    if (reply.ok() && on_token && !reply->content.empty()) on_token(reply->content);
    co_return reply;
  }

  std::vector<RecordedLlmRequest> requests;
  std::function<void()> on_call;      // runs when a call starts, before it replies
  std::chrono::milliseconds delay{0};  // per call
  int cancelled = 0;

 private:
  std::deque<Result<LlmReply>> replies_;
};

struct RecordedToolCall {
  std::string tool;
  nlohmann::json arguments;
  std::string idempotency_key;
  std::chrono::milliseconds timeout{0};  // the per-attempt timeout the runner passed
  int attempts = 0;                      // its retry policy's total tries
  std::string traceparent;
};

class FakeToolRunner final : public ToolRunner {
 public:
  // What a call of `tool` returns; by default ToolResult{ok, "<tool> result for <arguments>"}.
  void set_result(const std::string& tool, Result<ToolResult> result) { results_.insert_or_assign(tool, std::move(result)); }

  boost::asio::awaitable<Result<ToolResult>> run(ToolInvocation invocation) override {
    const std::string name = invocation.tool->name;
    calls.push_back({name, invocation.arguments, invocation.idempotency_key, invocation.tool->timeout,
                     invocation.tool->retry.attempts, invocation.traceparent});
    ++in_flight;
    max_in_flight = std::max(max_in_flight, in_flight);
    if (on_call) co_await on_call(name);
    const bool finished = delay.count() <= 0 || co_await wait_for(delay);
    --in_flight;
    if (!finished) {
      cancelled.push_back(name);
      co_return Error{Errc::cancelled, "fake tool " + name + ": cancelled"};
    }
    if (auto it = results_.find(name); it != results_.end()) co_return it->second;
    co_return ToolResult{true, name + " result for " + invocation.arguments.dump(), 1};
  }

  std::vector<RecordedToolCall> calls;
  std::vector<std::string> cancelled;  // tools whose wait was cancelled
  std::function<boost::asio::awaitable<void>(const std::string& tool)> on_call;  // awaited as a call starts
  std::chrono::milliseconds delay{0};  // per call, on an Asio timer
  int in_flight = 0;
  int max_in_flight = 0;

 private:
  std::map<std::string, Result<ToolResult>> results_;
};

}  // namespace agentrt::testing
