// GCC 12 false positive: it pairs Boost.Asio's awaitable frame operator delete with the
// aligned_alloc inside its operator new (both are Asio's own, and they match).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "backends/tools/command_tool_attempt.hpp"

#include <signal.h>

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "backends/tools/process_child.hpp"
#include "backends/tools/process_output.hpp"

namespace agentrt {
namespace asio = boost::asio;
using asio::awaitable;
using asio::experimental::awaitable_operators::operator&&;
using asio::experimental::awaitable_operators::operator||;

namespace {

constexpr int kExitTempFail = 75;  // EX_TEMPFAIL: the tool asks to be retried
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// The helpers below run as children of && / ||. Each turns cancellation into an early return
// instead of an exception, and checks for it before every wait, so a cancellation that
// arrives between two waits is not missed (which would stall the whole group).
// (No co_await inside conditions: GCC 12 miscompiles some of those.)
bool cancelled(const asio::cancellation_state& state) { return state.cancelled() != asio::cancellation_type::none; }

awaitable<void> feed_stdin(asio::local::stream_protocol::socket& socket, const std::string& text) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (!text.empty() && !cancelled(state)) {
    // EPIPE (the child exited without reading) is not an error of ours: the exit status says it all.
    co_await asio::async_write(socket, asio::buffer(text), kAsTuple);
  }
  boost::system::error_code ignored;
  socket.close(ignored);  // EOF on the child's stdin
}

template <class Sink>
awaitable<void> drain(asio::posix::stream_descriptor& pipe, Sink& sink) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  std::array<char, 16 * 1024> buffer{};
  while (!cancelled(state)) {
    auto [ec, n] = co_await pipe.async_read_some(asio::buffer(buffer), kAsTuple);
    sink.append(std::string_view{buffer.data(), n});
    if (ec) break;  // EOF: every writer (the child and its group) is gone
  }
}

// Completes when the child has exited; kills what is left of its group (background children
// would hold the pipes open and outlive the tool), then reaps it.
awaitable<void> reap_on_exit(ChildProcess& child) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (cancelled(state)) co_return;
  const bool exited = co_await child.wait_exited();
  if (!exited) co_return;
  child.signal_group(SIGKILL);
  child.try_reap();
}

awaitable<void> sleep_for(asio::any_io_executor ex, std::chrono::milliseconds duration) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (cancelled(state)) co_return;
  asio::steady_timer timer{ex, duration};
  co_await timer.async_wait(kAsTuple);
}

// After the deadline: SIGTERM to the group, SIGKILL after the grace, reaped either way.
awaitable<void> stop_child(asio::any_io_executor ex, ChildProcess& child, std::chrono::milliseconds grace) {
  child.signal_group(SIGTERM);
  co_await (reap_on_exit(child) || sleep_for(ex, grace));
  if (child.reaped()) co_return;
  child.signal_group(SIGKILL);
  co_await (reap_on_exit(child) || sleep_for(ex, grace));
  // Still not reaped (stuck in the kernel): ~ChildProcess reaps it.
}

std::string with_detail(std::string what, const std::string& detail) {
  if (!detail.empty()) what += ": " + detail;
  return what;
}

AttemptOutcome spawn_failure(const Error& error) {
  const auto kind = error.retryable() ? AttemptOutcome::Kind::transient : AttemptOutcome::Kind::failed;
  return AttemptOutcome{kind, error.message};
}

AttemptOutcome exit_outcome(const std::string& program, const ExitStatus& status, const OutputHead& out,
                            const OutputTail& err) {
  if (status.success()) return AttemptOutcome{AttemptOutcome::Kind::succeeded, out.finish()};
  const bool transient = !status.lost && !status.signaled && status.value == kExitTempFail;
  return AttemptOutcome{transient ? AttemptOutcome::Kind::transient : AttemptOutcome::Kind::failed,
                        with_detail("command " + program + " " + status.describe(), err.finish())};
}

}  // namespace

awaitable<AttemptOutcome> run_command_attempt(asio::any_io_executor ex, const AttemptSpec& spec) {
  auto spawned = spawn_process(spec.spawn);
  if (!spawned) co_return spawn_failure(spawned.error());
  const std::string& program = spec.spawn.argv.front();

  ChildProcess child{ex, spawned->pid, std::move(spawned->pidfd)};
  asio::local::stream_protocol::socket in{ex, asio::local::stream_protocol{}, spawned->stdin_fd.release()};
  asio::posix::stream_descriptor out_pipe{ex, spawned->stdout_fd.release()};
  asio::posix::stream_descriptor err_pipe{ex, spawned->stderr_fd.release()};
  OutputHead out{spec.stdout_bytes_max};
  OutputTail err{spec.stderr_tail_bytes};

  co_await ((feed_stdin(in, spec.stdin_text) && drain(out_pipe, out) && drain(err_pipe, err) &&
             reap_on_exit(child)) ||
            sleep_for(ex, spec.timeout));

  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (cancelled(state)) {
    child.signal_group(SIGKILL);
    co_await (reap_on_exit(child) || sleep_for(ex, spec.kill_grace));
    co_return AttemptOutcome{AttemptOutcome::Kind::cancelled, "command " + program + ": cancelled"};
  }
  if (child.reaped()) co_return exit_outcome(program, *child.status(), out, err);

  co_await stop_child(ex, child, spec.kill_grace);
  co_return AttemptOutcome{
      AttemptOutcome::Kind::transient,
      with_detail("command " + program + " timed out after " + std::to_string(spec.timeout.count()) + " ms",
                  err.finish())};
}

}  // namespace agentrt
