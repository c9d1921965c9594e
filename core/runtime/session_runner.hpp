#pragma once
// SessionRunner: the executor of one session. It folds the history (checkpoint + tail) into
// the decider's state, then loops: record the decider's commands as events (write-ahead, one
// fenced append per batch), perform the I/O they ask for (LLM call, tool calls in parallel,
// durable timers), record each result as an event before the decider sees it.
//
// Recovery is the same code: an LlmRequested/ToolRequested without its result is simply run
// again (tool calls with the same idempotency key <session>:<ToolRequested seq>); a timer
// waits until its recorded due time, not a new full duration.
//
// Threading: run() and every operation it starts run on one executor (one strand); nothing
// is detached: run() returns only after every operation it started has finished.
// On a failed append (fenced: another owner; or a store error) the runner cancels its
// operations, writes nothing more and returns the error.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/decider/decider.hpp"
#include "core/model/definition.hpp"
#include "core/model/error.hpp"
#include "core/ports/clock.hpp"
#include "core/ports/llm_provider.hpp"
#include "core/ports/session_store.hpp"
#include "core/ports/tool_runner.hpp"
#include "core/runtime/log_context.hpp"
#include "core/runtime/run_observer.hpp"
#include "core/trace/session_trace.hpp"

namespace agentrt {

struct RuntimePorts {
  SessionStore* store = nullptr;
  LlmProvider* llm = nullptr;
  ToolRunner* http_tools = nullptr;
  ToolRunner* command_tools = nullptr;
  const Clock* clock = nullptr;
  // kv_get/kv_put, on the session's (org, bot) scope (core/runtime/kv_tool_runner.hpp); null:
  // those tools fail with "cannot be run by this runtime".
  ToolRunner* kv_tools = nullptr;
};

struct RunOptions {
  bool wait_for_timers = true;     // `run` waits out sleeps; a server would release the session
  // Without waiting for timers, a timer due within this much is still waited for here (and
  // a due one fired at once): cheaper than releasing the session and claiming it back.
  std::int64_t timer_horizon_ms = 1'000;
  std::size_t inbox_batch = 64;    // messages taken from the inbox per append
  std::string api_key;             // LLM key, resolved by the caller; never logged
  LogContext log_context;          // who logs about this session (worker, org, bot, trace)
};

struct RunOutcome {
  SessionState state;              // the state after the last durable event
};

class SessionRunner {
 public:
  SessionRunner(RuntimePorts ports, SessionId session, const AgentDefinition& definition, LeaseEpoch epoch,
                RunOptions options, RunObserver* observer);
  SessionRunner(const SessionRunner&) = delete;
  SessionRunner& operator=(const SessionRunner&) = delete;

  // Runs until the session is quiescent: idle with an empty inbox, waiting for input,
  // sleeping (when not waiting for timers) or finished.
  boost::asio::awaitable<Result<RunOutcome>> run();

  // New inbox messages are waiting (a serve worker's inbox poller saw them): record them now
  // (MessageReceived, queued for the next turn or answering a question) instead of at the
  // end of the running turn. Call on run()'s executor; harmless when run() is not running.
  void inbox_changed();

 private:
  struct Operation {
    boost::asio::cancellation_signal cancel;
    bool done = false;  // set by its completion handler; erased by the loop afterwards
  };

  boost::asio::awaitable<Result<void>> load();
  boost::asio::awaitable<Result<bool>> drain_inbox();
  // How commit() folds several inputs. Messages read together are one input: the decider sees
  // all of them before it acts. Results that finished together are recorded as if each had
  // been committed alone (the decider's commands after each, before the next result), so the
  // history is the one that committing them one by one writes, in one append (one fsync)
  // instead of one per result: parallel tool calls that finish together cost one write.
  enum class Folding { together, one_at_a_time };

  boost::asio::awaitable<Result<void>> commit(std::vector<Command> inputs, std::vector<MessageId> consumed,
                                              Folding folding);
  [[nodiscard]] std::optional<Checkpoint> due_checkpoint() const;
  void launch_pending();
  void launch(std::string key, boost::asio::awaitable<Command> op);
  boost::asio::awaitable<Command> call_llm(std::int64_t request_seq);
  boost::asio::awaitable<Command> call_tool(PendingCall call);
  boost::asio::awaitable<Command> wait_timer(std::string call_id, std::int64_t due_ms);
  // Waits for at least one finished operation (or an inbox change, a cancellation, or nothing
  // left running) and takes the results finished by then (at most 32), in the order they finished.
  boost::asio::awaitable<std::vector<Command>> next_results();
  boost::asio::awaitable<void> stop_operations();
  std::chrono::milliseconds turn_time_left() const;
  std::optional<std::int64_t> wake_at() const;

  RuntimePorts ports_;
  SessionId session_;
  const AgentDefinition& definition_;
  LeaseEpoch epoch_;
  RunOptions options_;
  RunObserver* observer_;

  SessionState state_;
  std::optional<SessionTrace> trace_;  // the session's trace: outbound calls carry traceparent
  std::int64_t checkpoint_seq_ = 0;
  std::map<std::string, std::unique_ptr<Operation>> operations_;  // in flight, by key
  // Finished, not yet recorded: {operation key, result}. The operation stays in operations_
  // until its result is taken, so launch_pending() cannot start it a second time meanwhile.
  std::deque<std::pair<std::string, Command>> results_;
  std::unique_ptr<boost::asio::steady_timer> wakeup_;                // cancelled when a result arrives
  std::optional<Error> internal_error_;                              // an operation threw: a bug
  bool inbox_changed_ = false;                                       // drain the inbox at the next step
  // When the latest LLM or tool result arrived, until the next call starts (step overhead).
  std::optional<std::chrono::steady_clock::time_point> last_result_at_;
};

}  // namespace agentrt
