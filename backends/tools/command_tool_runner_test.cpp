#include "backends/tools/command_tool_runner.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <sstream>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include "backends/tools/command_tool_test_support.hpp"

namespace agentrt {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::shell_tool;

// co_spawn(..., use_future) needs a default-constructible result; Result<T> is not.
asio::awaitable<std::optional<Result<ToolResult>>> optional_result(asio::awaitable<Result<ToolResult>> call) {
  co_return co_await std::move(call);
}

using ResultFuture = std::future<std::optional<Result<ToolResult>>>;

class CommandToolRunnerTest : public ::testing::Test {
 protected:
  Result<ToolResult> run(const ToolDefinition& tool, nlohmann::json arguments = nlohmann::json::object(),
                         std::string key = "s-1:7", std::string traceparent = "") {
    auto runner = make_command_tool_runner(ctx_.get_executor(), options_);
    auto future = asio::co_spawn(
        ctx_,
        optional_result(
            runner->run(ToolInvocation{&tool, std::move(arguments), std::move(key), std::move(traceparent)})),
        asio::use_future);
    ctx_.run();
    ctx_.restart();
    return *future.get();
  }

  ToolResult run_ok(const ToolDefinition& tool, nlohmann::json arguments = nlohmann::json::object()) {
    auto result = run(tool, std::move(arguments));
    if (!result.ok()) ADD_FAILURE() << result.error().to_string();
    return result.ok() ? result.value() : ToolResult{};
  }

  asio::io_context ctx_;
  CommandToolRunnerOptions options_{std::chrono::milliseconds{300}, kToolOutputBytesMax, 4096, 42U};
  test::TempDir dir_;
};

TEST_F(CommandToolRunnerTest, ArgumentsReachStdinAsJsonAndStdoutIsTheOutput) {
  const nlohmann::json args = {{"q", "VPN \"down\""}, {"n", 3}};
  const ToolResult r = run_ok(shell_tool("cat"), args);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(nlohmann::json::parse(r.output), args);
}

TEST_F(CommandToolRunnerTest, EnvironmentCarriesIdempotencyKeyAndToolName) {
  const ToolResult r = run_ok(shell_tool(R"(printf '%s|%s|%s' "$AGENTRT_IDEMPOTENCY_KEY" "$AGENTRT_TOOL_NAME" "$HOME")"));
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.output, std::string("s-1:7|probe|") + (std::getenv("HOME") ? std::getenv("HOME") : ""));
}

TEST_F(CommandToolRunnerTest, EnvironmentCarriesTheCallsTraceparentWhenThereIsOne) {
  const auto tool = shell_tool(R"(printf '%s' "${TRACEPARENT-unset}")");
  const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const auto traced = run(tool, nlohmann::json::object(), "s-1:7", traceparent);
  ASSERT_TRUE(traced.ok()) << traced.error().to_string();
  EXPECT_EQ(traced->output, traceparent);
  EXPECT_EQ(run_ok(tool).output, "unset");
}

TEST_F(CommandToolRunnerTest, RunsInTheWorkingDirectory) {
  ToolDefinition tool = shell_tool("pwd");
  tool.command.working_dir = dir_.path().string();
  const ToolResult r = run_ok(tool);
  EXPECT_EQ(r.output, std::filesystem::canonical(dir_.path()).string() + "\n");
}

TEST_F(CommandToolRunnerTest, TempFailIsRetriedWithTheSameIdempotencyKey) {
  const std::string log = dir_.file("keys.log");
  const std::string script = "echo \"$AGENTRT_IDEMPOTENCY_KEY\" >> '" + log +
                             "'; n=$(wc -l < '" + log + "'); if [ \"$n\" -lt 3 ]; then exit 75; fi; echo done";
  const ToolResult r = run_ok(shell_tool(script, 10s, 5));
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.output, "done\n");
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(test::read_file(log), "s-1:7\ns-1:7\ns-1:7\n");
}

TEST_F(CommandToolRunnerTest, TempFailStopsAfterTheLastTry) {
  const ToolResult r = run_ok(shell_tool("echo 'busy, try later' >&2; exit 75", 10s, 2));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.output, "command sh exited with status 75: busy, try later");
}

TEST_F(CommandToolRunnerTest, OtherNonZeroExitFailsAtOnceWithStderrTail) {
  const ToolResult r = run_ok(shell_tool("echo partial; echo 'no such ticket' >&2; exit 3", 10s, 4));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.output, "command sh exited with status 3: no such ticket");
}

TEST_F(CommandToolRunnerTest, KillingSignalFailsAtOnce) {
  const ToolResult r = run_ok(shell_tool("kill -9 $$", 10s, 3));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.output.rfind("command sh was killed by signal 9", 0), 0U) << r.output;
}

TEST_F(CommandToolRunnerTest, MissingExecutableIsAFailedResultNotACrash) {
  ToolDefinition tool = shell_tool("");
  tool.command.argv = {"agentrt-no-such-binary-xyz", "--flag"};
  tool.retry.attempts = 3;
  const ToolResult r = run_ok(tool);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.output, "command agentrt-no-such-binary-xyz: not found");
}

TEST_F(CommandToolRunnerTest, MissingWorkingDirectoryIsNamed) {
  ToolDefinition tool = shell_tool("true");
  tool.command.working_dir = dir_.file("nowhere");
  const ToolResult r = run_ok(tool);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.output.find("working directory " + dir_.file("nowhere")), std::string::npos) << r.output;
}

TEST_F(CommandToolRunnerTest, EmptyArgvIsAFailedResult) {
  ToolDefinition tool = shell_tool("");
  tool.command.argv.clear();
  const ToolResult r = run_ok(tool);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.output, "command tool probe: argv is empty");
}

TEST_F(CommandToolRunnerTest, NonCommandToolIsRejected) {
  ToolDefinition tool = shell_tool("true");
  tool.kind = ToolKind::http;
  auto r = run(tool);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid);
}

TEST_F(CommandToolRunnerTest, TimeoutKillsTheChildAndIsRetried) {
  const std::string pids = dir_.file("pids");
  const auto start = std::chrono::steady_clock::now();
  const ToolResult r = run_ok(shell_tool("echo $$ >> '" + pids + "'; exec sleep 100", 200ms, 2));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.output, "command sh timed out after 200 ms");
  EXPECT_LT(elapsed, 5s);
  std::istringstream lines{test::read_file(pids)};
  int count = 0;
  for (pid_t pid = 0; lines >> pid; ++count) EXPECT_TRUE(test::process_gone(pid)) << pid;
  EXPECT_EQ(count, 2);
}

TEST_F(CommandToolRunnerTest, TimeoutEscalatesToSigkillWhenSigtermIsIgnored) {
  const std::string pid_file = dir_.file("pid");
  const auto start = std::chrono::steady_clock::now();
  const ToolResult r = run_ok(shell_tool("trap '' TERM; echo $$ > '" + pid_file + "'; while :; do sleep 0.05; done", 200ms));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.output.find("timed out after 200 ms"), std::string::npos);
  EXPECT_GE(elapsed, 200ms + options_.kill_grace);
  EXPECT_LT(elapsed, 5s);
  EXPECT_TRUE(test::process_gone(test::read_pid(pid_file)));
}

TEST_F(CommandToolRunnerTest, BackgroundChildrenDoNotOutliveTheTool) {
  const std::string pid_file = dir_.file("bg");
  const auto start = std::chrono::steady_clock::now();
  const ToolResult r = run_ok(shell_tool("sleep 100 & echo $! > '" + pid_file + "'; echo ok"));
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.output, "ok\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_TRUE(test::process_gone_soon(test::read_pid(pid_file)));
}

TEST_F(CommandToolRunnerTest, HugeOutputIsBoundedWithAMarker) {
  const ToolResult r = run_ok(shell_tool("head -c 3000000 /dev/zero | tr '\\0' a"));
  EXPECT_TRUE(r.ok);
  EXPECT_LE(r.output.size(), kToolOutputBytesMax);
  EXPECT_GT(r.output.size(), kToolOutputBytesMax - 200);
  EXPECT_EQ(r.output.substr(0, 100), std::string(100, 'a'));
  EXPECT_NE(r.output.find("of 3000000 bytes shown]"), std::string::npos);
}

TEST_F(CommandToolRunnerTest, HugeStderrKeepsOnlyItsTail) {
  const ToolResult r = run_ok(shell_tool("head -c 100000 /dev/zero | tr '\\0' e >&2; echo ' the end' >&2; exit 2"));
  EXPECT_FALSE(r.ok);
  EXPECT_LE(r.output.size(), 4096U + 64U);
  EXPECT_EQ(r.output.substr(r.output.size() - 8), " the end");
}

TEST_F(CommandToolRunnerTest, ChildThatIgnoresLargeStdinDoesNotBreakTheRunner) {
  const nlohmann::json args = {{"blob", std::string(2'000'000, 'z')}};
  const ToolResult r = run_ok(shell_tool("echo ignored"), args);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.output, "ignored\n");
}

TEST_F(CommandToolRunnerTest, ConcurrentCommandsOverlapAndLeaveTheLoopFree) {
  auto runner = make_command_tool_runner(ctx_.get_executor(), options_);
  const ToolDefinition tool = shell_tool("sleep 0.5; cat");
  std::vector<ResultFuture> futures;
  for (int i = 0; i < 4; ++i) {
    auto call = runner->run(ToolInvocation{&tool, nlohmann::json{{"i", i}}, "s-1:" + std::to_string(i)});
    futures.push_back(asio::co_spawn(ctx_, optional_result(std::move(call)), asio::use_future));
  }
  // A ticking timer proves the loop is not blocked while the children run.
  int ticks = 0;
  asio::steady_timer ticker{ctx_};
  std::function<void()> tick = [&] {
    ticker.expires_after(20ms);
    ticker.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      if (++ticks < 20) tick();
    });
  };
  tick();
  const auto start = std::chrono::steady_clock::now();
  ctx_.run();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  for (int i = 0; i < 4; ++i) {
    auto r = *futures[static_cast<std::size_t>(i)].get();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_TRUE(r->ok);
    EXPECT_EQ(nlohmann::json::parse(r->output), (nlohmann::json{{"i", i}}));
  }
  EXPECT_LT(elapsed, 1500ms) << "4 x 0.5 s run one after the other would take 2 s";
  EXPECT_GE(ticks, 15);
}

TEST_F(CommandToolRunnerTest, CancellationKillsTheChild) {
  const std::string pid_file = dir_.file("pid");
  const ToolDefinition tool = shell_tool("echo $$ > '" + pid_file + "'; exec sleep 100");
  auto runner = make_command_tool_runner(ctx_.get_executor(), options_);
  asio::cancellation_signal cancel;
  auto future = asio::co_spawn(ctx_, optional_result(runner->run(ToolInvocation{&tool, nlohmann::json::object(), "s-1:9"})),
                               asio::bind_cancellation_slot(cancel.slot(), asio::use_future));
  asio::steady_timer timer{ctx_, 300ms};
  timer.async_wait([&](boost::system::error_code) { cancel.emit(asio::cancellation_type::terminal); });
  const auto start = std::chrono::steady_clock::now();
  ctx_.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  auto r = *future.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::cancelled);
  EXPECT_TRUE(test::process_gone(test::read_pid(pid_file)));
}

TEST_F(CommandToolRunnerTest, RunnerDestroyedWithItsLoopLeavesNoChild) {
  const std::string pid_file = dir_.file("pid");
  const ToolDefinition tool = shell_tool("echo $$ > '" + pid_file + "'; exec sleep 100");
  {
    asio::io_context ctx;
    auto runner = make_command_tool_runner(ctx.get_executor(), options_);
    auto abandoned = asio::co_spawn(
        ctx, optional_result(runner->run(ToolInvocation{&tool, nlohmann::json::object(), "s-1:9"})), asio::use_future);
    ctx.run_for(300ms);
  }  // the suspended coroutine frame is destroyed here
  EXPECT_TRUE(test::process_gone(test::read_pid(pid_file)));
}

}  // namespace
}  // namespace agentrt
