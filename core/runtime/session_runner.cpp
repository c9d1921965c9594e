#include "core/runtime/session_runner.hpp"

#include <algorithm>
#include <exception>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/definition/effective_definition.hpp"
#include "core/runtime/log_context.hpp"
#include "core/runtime/with_timeout.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;

constexpr std::size_t kEventsPerReadPage = 1000;
constexpr std::size_t kEventsPerCommitMax = 10'000;  // a decider bug must not loop forever
// Results recorded in one append at most: a wide fan-out's results (and what the decider does
// after each) stay well inside one store write (DynamoDB: 100 items per transaction).
constexpr std::size_t kResultsPerCommitMax = 32;

std::string idempotency_key(const SessionId& session, std::int64_t seq) {
  return session.str() + ":" + std::to_string(seq);
}

}  // namespace

SessionRunner::SessionRunner(RuntimePorts ports, SessionId session, const AgentDefinition& definition, LeaseEpoch epoch,
                             RunOptions options, RunObserver* observer)
    : ports_(ports),
      session_(std::move(session)),
      definition_(definition),
      epoch_(epoch),
      options_(std::move(options)),
      observer_(observer) {}

asio::awaitable<Result<RunOutcome>> SessionRunner::run() {
  // Cancellation of run() (a failed heartbeat, a shutdown) is checked by hand so the cleanup
  // below can still co_await: stop every operation, then return Errc::cancelled.
  co_await asio::this_coro::throw_if_cancelled(false);
  wakeup_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor);
  auto loaded = co_await load();
  if (!loaded) co_return loaded.error();

  Result<void> status;
  if (!state_.outbox.empty()) status = co_await commit(std::vector<Command>{}, std::vector<MessageId>{}, Folding::together);
  if (status) launch_pending();
  while (status && !is_terminal(state_.status)) {
    if (operations_.empty() && results_.empty()) {
      auto drained = co_await drain_inbox();
      if (!drained) {
        status = drained.error();
        break;
      }
      if (!*drained) break;  // quiescent: nothing running, nothing to read
      continue;
    }
    if (inbox_changed_) {
      inbox_changed_ = false;
      auto drained = co_await drain_inbox();  // commits and launches what the messages cause
      if (!drained) {
        status = drained.error();
        break;
      }
      continue;
    }
    auto results = co_await next_results();
    const auto cancel_state = co_await asio::this_coro::cancellation_state;
    if (cancel_state.cancelled() != asio::cancellation_type::none) {
      status = Error{Errc::cancelled, "session " + session_.str() + ": run cancelled"};
      break;
    }
    if (internal_error_) {
      status = *internal_error_;
      break;
    }
    if (results.empty()) continue;
    status = co_await commit(std::move(results), std::vector<MessageId>{}, Folding::one_at_a_time);
  }
  co_await stop_operations();
  if (!status) co_return status.error();
  // A named local, not `co_return RunOutcome{state_}`: GCC 12 can destroy a braced aggregate
  // temporary twice in a coroutine.
  RunOutcome outcome;
  outcome.state = std::move(state_);  // run() is over: the runner's state is not used again
  co_return outcome;
}

// Checkpoint + tail. An unreadable checkpoint is only an optimisation lost: replay everything.
asio::awaitable<Result<void>> SessionRunner::load() {
  auto checkpoint = co_await ports_.store->load_checkpoint(session_);
  if (!checkpoint) co_return checkpoint.error().with_context("load session " + session_.str());
  if (checkpoint->has_value()) {
    try {
      state_ = session_state_from_json((*checkpoint)->state);
      checkpoint_seq_ = state_.last_seq;
    } catch (const json::exception& e) {
      log_in(options_.log_context, spdlog::level::warn, "session {}: checkpoint at seq {} is unreadable ({}); replaying the whole history", session_.str(),
                   (*checkpoint)->seq.value, e.what());
      state_ = SessionState{};
    }
  }
  for (;;) {
    auto page = co_await ports_.store->read_events(session_, EventSeq{state_.last_seq}, kEventsPerReadPage);
    if (!page) co_return page.error().with_context("load history of session " + session_.str());
    for (const auto& event : *page) {
      if (event.seq.value != state_.last_seq + 1) {
        co_return Error{Errc::fatal, "history of session " + session_.str() + " has a gap: expected seq " +
                                         std::to_string(state_.last_seq + 1) + ", found " +
                                         std::to_string(event.seq.value)};
      }
      auto decision = decide(state_, event, definition_);
      if (decision.divergence) {
        co_return Error{Errc::fatal, "session " + session_.str() + " cannot resume: " + *decision.divergence +
                                         " (the history was written by a different build or definition)"};
      }
    }
    if (page->size() < kEventsPerReadPage) break;
  }
  trace_ = SessionTrace::of(session_.str(), state_.traceparent, state_.tracestate);
  if (trace_) options_.log_context.trace_id = trace_->context.trace_id;  // this session's later log lines
  if (observer_ != nullptr) observer_->on_state(session_, state_);
  co_return ok_result();
}

asio::awaitable<Result<bool>> SessionRunner::drain_inbox() {
  auto messages = co_await ports_.store->pending_messages(session_, options_.inbox_batch);
  if (!messages) co_return messages.error().with_context("read inbox of session " + session_.str());
  if (messages->empty()) co_return false;
  std::vector<Command> inputs;
  std::vector<MessageId> consumed;
  for (auto& m : *messages) {
    inputs.push_back({EventType::MessageReceived, {{"message_id", m.id.str()}, {"text", m.text}}});
    consumed.push_back(m.id);
  }
  auto committed = co_await commit(std::move(inputs), std::move(consumed), Folding::together);
  if (!committed) co_return committed.error();
  if (observer_ != nullptr) {
    const auto recorded_ms = ports_.clock->wall_ms();
    for (const auto& m : *messages) observer_->on_message_recorded(session_, m.enqueued_ms, recorded_ms);
  }
  co_return true;
}

// Folds the inputs and every command they cause into one batch, appends it (fenced by our
// epoch) and only then acts on it. If the append fails the in-memory state is ahead of the
// store, so the caller must stop: it does.
asio::awaitable<Result<void>> SessionRunner::commit(std::vector<Command> inputs, std::vector<MessageId> consumed,
                                                    Folding folding) {
  std::vector<Event> batch;
  const auto now_ms = ports_.clock->wall_ms();
  auto record = [&](const Command& c) -> std::optional<Error> {
    Event event{EventSeq{state_.last_seq + 1}, c.type, now_ms, c.data};
    auto decision = decide(state_, event, definition_);
    if (decision.divergence) {
      return Error{Errc::fatal, "session " + session_.str() + ": internal divergence: " + *decision.divergence};
    }
    batch.push_back(std::move(event));
    return std::nullopt;
  };
  auto record_outbox = [&]() -> std::optional<Error> {
    while (!state_.outbox.empty()) {
      if (batch.size() > kEventsPerCommitMax) {
        return Error{Errc::fatal, "session " + session_.str() + ": the decider produced more than " +
                                      std::to_string(kEventsPerCommitMax) + " events in one step"};
      }
      const Command next = state_.outbox.front();
      if (auto error = record(next)) return error;
    }
    return std::nullopt;
  };
  for (const auto& input : inputs) {
    if (auto error = record(input)) co_return *error;
    if (folding == Folding::one_at_a_time) {
      if (auto error = record_outbox()) co_return *error;
    }
  }
  if (auto error = record_outbox()) co_return *error;
  if (batch.empty()) co_return ok_result();

  const auto first_seq = batch.front().seq.value;
  const auto count = batch.size();
  // The events are moved into the request unless an observer still needs them afterwards.
  std::vector<Event> observed;
  if (observer_ != nullptr) observed = batch;
  AppendRequest request{session_, epoch_, std::move(batch), state_.status, wake_at(), std::move(consumed), due_checkpoint()};
  const bool checkpointed = request.checkpoint.has_value();
  auto appended = co_await ports_.store->append(std::move(request));
  if (!appended) {
    co_return appended.error().with_context("record events " + std::to_string(first_seq) + ".." +
                                            std::to_string(first_seq + static_cast<std::int64_t>(count) - 1) +
                                            " of session " + session_.str());
  }
  if (checkpointed) checkpoint_seq_ = state_.last_seq;
  if (observer_ != nullptr) {
    for (const auto& e : observed) observer_->on_event(session_, e);
    observer_->on_state(session_, state_);
  }
  launch_pending();
  co_return ok_result();
}

// A checkpoint of the state after this commit's events when checkpoint_every events have
// passed since the last one; it rides in the same append (one write, one fsync).
std::optional<Checkpoint> SessionRunner::due_checkpoint() const {
  const auto checkpoint_every = EffectiveDefinition(definition_, state_.patches).policies().checkpoint_every;
  if (state_.last_seq - checkpoint_seq_ < checkpoint_every) return std::nullopt;
  return Checkpoint{EventSeq{state_.last_seq}, to_json(state_)};
}

// Starts the I/O for every recorded request that has no operation yet: after a commit, and
// after recovery (an interrupted call is run again with the same idempotency key).
void SessionRunner::launch_pending() {
  if (state_.llm_in_flight) launch("llm:" + std::to_string(state_.llm_request_seq), call_llm(state_.llm_request_seq));
  for (const auto& call : state_.calls) {
    if (call.stage == PendingCall::Stage::running) {
      launch("tool:" + call.call_id + ":" + std::to_string(call.request_seq), call_tool(call));
    } else if (call.stage == PendingCall::Stage::sleeping &&
               (options_.wait_for_timers || call.due_ms <= ports_.clock->wall_ms() + options_.timer_horizon_ms)) {
      launch("timer:" + call.call_id, wait_timer(call.call_id, call.due_ms));
    }
  }
}

void SessionRunner::launch(std::string key, asio::awaitable<Command> op) {
  if (operations_.contains(key)) return;
  const bool is_call = !key.starts_with("timer:");
  if (is_call && last_result_at_ && observer_ != nullptr) {
    // The runtime's own share of a step: from the previous call's result to this launch.
    observer_->on_step_timing(session_, StepTiming{StepTiming::Kind::overhead, {}, ports_.clock->monotonic() - *last_result_at_});
  }
  if (is_call) last_result_at_.reset();
  auto& operation = operations_[key];
  operation = std::make_unique<Operation>();
  Operation* raw = operation.get();
  asio::co_spawn(wakeup_->get_executor(), std::move(op),
                 asio::bind_cancellation_slot(raw->cancel.slot(), [this, raw, key](std::exception_ptr error, Command result) {
                   raw->done = true;
                   if (error) {
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       log_in(options_.log_context, spdlog::level::err, "session {}: operation {} failed: {}", session_.str(), key, e.what());
                     }
                     internal_error_ = Error{Errc::fatal, "session " + session_.str() + ": operation " + key + " threw"};
                   } else {
                     if (!key.starts_with("timer:")) last_result_at_ = ports_.clock->monotonic();
                     results_.emplace_back(key, std::move(result));
                   }
                   wakeup_->cancel();
                 }));
}

void SessionRunner::inbox_changed() {
  inbox_changed_ = true;
  if (wakeup_) wakeup_->cancel();
}

asio::awaitable<std::vector<Command>> SessionRunner::next_results() {
  while (results_.empty() && !inbox_changed_) {
    // Cancelled (a lost lease): return at once, also when the cancellation came while we were
    // not waiting here; run() sees it and stops the operations.
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) break;
    const bool any_running = std::any_of(operations_.begin(), operations_.end(), [](const auto& op) { return !op.second->done; });
    if (!any_running) break;
    boost::system::error_code ec;
    wakeup_->expires_at(asio::steady_timer::time_point::max());
    co_await wakeup_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  std::vector<Command> taken;
  taken.reserve(std::min(results_.size(), kResultsPerCommitMax));
  while (!results_.empty() && taken.size() < kResultsPerCommitMax) {
    auto& [key, result] = results_.front();
    operations_.erase(key);  // only now: until recorded, its call still looks pending in state_
    taken.push_back(std::move(result));
    results_.pop_front();
  }
  co_return taken;
}

asio::awaitable<void> SessionRunner::stop_operations() {
  for (auto& [key, op] : operations_) {
    if (!op->done) op->cancel.emit(asio::cancellation_type::terminal);
  }
  for (;;) {
    const bool any_running = std::any_of(operations_.begin(), operations_.end(), [](const auto& op) { return !op.second->done; });
    if (!any_running) break;
    boost::system::error_code ec;
    wakeup_->expires_at(asio::steady_timer::time_point::max());
    co_await wakeup_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  operations_.clear();
  results_.clear();
}

asio::awaitable<Command> SessionRunner::call_llm(std::int64_t request_seq) {
  LlmRequest request;
  request.model = &definition_.model;
  request.api_key = options_.api_key;
  request.messages = llm_messages(state_, definition_);
  request.tools = llm_tool_specs(state_, definition_);  // the session's patches apply
  request.idempotency_key = idempotency_key(session_, request_seq);
  if (trace_) request.traceparent = trace_->traceparent_for(trace_->llm_span_id(request_seq));
  TokenSink sink = [this](std::string_view text) {
    if (observer_ != nullptr) observer_->on_token(session_, text);
  };
  const auto started = ports_.clock->monotonic();
  auto reply = co_await with_timeout(ports_.llm->complete(std::move(request), std::move(sink)), turn_time_left(),
                                     "LLM call of turn " + std::to_string(state_.turn));
  if (observer_ != nullptr) {
    const StepTiming timing{StepTiming::Kind::llm, definition_.model.name, ports_.clock->monotonic() - started};
    observer_->on_step_timing(session_, timing);
  }
  if (!reply) co_return Command{EventType::LlmFailed, {{"error", reply.error().to_string()}}};
  json tool_calls = json::array();
  for (const auto& tc : reply->tool_calls) {
    tool_calls.push_back({{"id", tc.id}, {"name", tc.name}, {"arguments", tc.arguments}});
  }
  co_return Command{EventType::LlmCompleted, {{"content", reply->content},
                                              {"tool_calls", std::move(tool_calls)},
                                              {"tokens_in", reply->tokens_in},
                                              {"tokens_out", reply->tokens_out},
                                              {"finish_reason", reply->finish_reason}}};
}

asio::awaitable<Command> SessionRunner::call_tool(PendingCall call) {
  auto failed = [&](std::string error, int attempts) {
    return Command{EventType::ToolFailed, {{"call_id", call.call_id}, {"error", std::move(error)}, {"attempts", attempts}}};
  };
  // The tool as this session sees it (its patches may change timeout and retries). A local of
  // the coroutine frame, so it outlives the run below that points at it.
  const auto effective = EffectiveDefinition(definition_, state_.patches).find_tool(call.name);
  ToolRunner* runner = nullptr;
  if (effective && effective->base->kind == ToolKind::http) runner = ports_.http_tools;
  if (effective && effective->base->kind == ToolKind::command) runner = ports_.command_tools;
  if (effective && (effective->base->kind == ToolKind::kv_get || effective->base->kind == ToolKind::kv_put)) {
    runner = ports_.kv_tools;
  }
  if (runner == nullptr) co_return failed("tool " + call.name + " cannot be run by this runtime", 0);
  const ToolDefinition tool = effective->to_definition();

  ToolInvocation invocation{&tool, call.arguments, idempotency_key(session_, call.request_seq)};
  if (trace_) invocation.traceparent = trace_->traceparent_for(trace_->tool_span_id(call.request_seq));
  const auto started = ports_.clock->monotonic();
  auto result = co_await with_timeout(runner->run(std::move(invocation)), turn_time_left(), "tool " + call.name);
  if (observer_ != nullptr) {
    const StepTiming timing{StepTiming::Kind::tool, call.name, ports_.clock->monotonic() - started};
    observer_->on_step_timing(session_, timing);
  }
  if (!result) co_return failed(result.error().to_string(), 0);
  if (!result->ok) co_return failed(result->output, result->attempts);
  co_return Command{EventType::ToolCompleted,
                    {{"call_id", call.call_id}, {"output", result->output}, {"attempts", result->attempts}}};
}

// Waits until the recorded due time: after a restart, the rest of the sleep, not all of it.
asio::awaitable<Command> SessionRunner::wait_timer(std::string call_id, std::int64_t due_ms) {
  const auto delay_ms = due_ms - ports_.clock->wall_ms();
  if (delay_ms > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(delay_ms));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return Command{EventType::TimerFired, {{"call_id", std::move(call_id)}}};
}

std::chrono::milliseconds SessionRunner::turn_time_left() const {
  const auto now_ms = ports_.clock->wall_ms();
  std::int64_t paused = state_.paused_ms;
  if (state_.paused_since_ms != 0) paused += now_ms - state_.paused_since_ms;
  const auto active_ms = now_ms - state_.turn_started_ms - paused;
  const auto turn_timeout = EffectiveDefinition(definition_, state_.patches).policies().turn_timeout;
  return std::chrono::milliseconds(turn_timeout.count() - active_ms);
}

std::optional<std::int64_t> SessionRunner::wake_at() const {
  std::optional<std::int64_t> earliest;
  for (const auto& call : state_.calls) {
    if (call.stage == PendingCall::Stage::sleeping && (!earliest || call.due_ms < *earliest)) earliest = call.due_ms;
  }
  return earliest;
}

}  // namespace agentrt
