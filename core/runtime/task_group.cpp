#include "core/runtime/task_group.hpp"

#include <exception>
#include <iterator>
#include <list>
#include <optional>
#include <utility>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <spdlog/spdlog.h>

namespace agentrt {

namespace asio = boost::asio;

struct TaskGroup::State : std::enable_shared_from_this<TaskGroup::State> {
  struct Child {
    std::string name;
    asio::cancellation_signal cancel;  // bound to the child's co_spawn
    bool done = false;
  };

  explicit State(asio::any_io_executor ex) : executor(ex), wakeup(std::move(ex)) {}

  void cancel(Error reason) {
    if (cancelled) return;
    cancelled = true;
    if (!outcome) outcome = std::move(reason);
    // Emitting may complete a child inline; its handler only marks it done (the node is erased
    // later), so this iteration stays valid.
    for (auto& child : children) {
      if (!child.done) child.cancel.emit(asio::cancellation_type::terminal);
    }
  }

  void on_child_done(std::list<Child>::iterator child, const std::exception_ptr& thrown, const Result<void>& result) {
    child->done = true;
    --running;
    if (auto failure = failure_of(*child, thrown, result)) {
      spdlog::debug("task group child failed ({}): cancelling {} siblings", failure->to_string(), running);
      errors.push_back(*failure);
      cancel(*failure);  // records it as the outcome unless a cancel() reason came first
    }
    if (running == 0) wakeup.cancel();
    // Erased from a later handler, not here: this handler runs inside the child's co_spawn
    // frame, still on the stack, whose cancellation state lives in this signal's slot.
    asio::post(executor, [self = shared_from_this(), child] { self->children.erase(child); });
  }

  std::optional<Error> failure_of(const Child& child, const std::exception_ptr& thrown, const Result<void>& result) const {
    if (!thrown) {
      if (result.ok()) return std::nullopt;
      if (result.error().code == Errc::cancelled && cancelled) return std::nullopt;
      return result.error().with_context(child.name);
    }
    try {
      std::rethrow_exception(thrown);
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted && cancelled) return std::nullopt;
      spdlog::error("task group child {} threw: {}", child.name, e.what());
      return Error{Errc::fatal, child.name + ": " + e.what()};
    } catch (const std::exception& e) {
      spdlog::error("task group child {} threw: {}", child.name, e.what());
      return Error{Errc::fatal, child.name + ": " + e.what()};
    } catch (...) {
      spdlog::error("task group child {} threw a non-standard exception", child.name);
      return Error{Errc::fatal, child.name + ": threw a non-standard exception"};
    }
  }

  asio::any_io_executor executor;
  asio::steady_timer wakeup;         // join() sleeps on it; cancelled when the last child ends
  std::list<Child> children;         // stable nodes: each signal stays where its child is bound
  std::size_t running = 0;
  std::vector<Error> errors;
  std::optional<Error> outcome;      // the first failure or cancel() reason: what join() returns
  bool cancelled = false;
  bool joining = false;
  bool closed = false;               // join() returned: no new children
};

TaskGroup::TaskGroup(asio::any_io_executor executor) : state_(std::make_shared<State>(std::move(executor))) {}

TaskGroup::~TaskGroup() {
  if (state_->running > 0) {
    spdlog::debug("task group destroyed with {} running children: cancelling them", state_->running);
    state_->cancel(Error{Errc::cancelled, "task group destroyed before join"});
  }
}

Result<void> TaskGroup::spawn(std::string name, asio::awaitable<Result<void>> child) {
  if (state_->closed) return Error{Errc::invalid, name + ": not started: the task group was already joined"};
  if (state_->cancelled) {
    return Error{Errc::cancelled, name + ": not started: the task group is cancelled (" + state_->outcome->message + ")"};
  }
  auto& added = state_->children.emplace_back();
  added.name = std::move(name);
  auto node = std::prev(state_->children.end());
  ++state_->running;
  asio::co_spawn(state_->executor, std::move(child),
                 asio::bind_cancellation_slot(node->cancel.slot(),
                                              [state = state_, node](std::exception_ptr thrown, Result<void> result) {
                                                state->on_child_done(node, thrown, result);
                                              }));
  return ok_result();
}

void TaskGroup::cancel(Error reason) { state_->cancel(std::move(reason)); }

asio::awaitable<Result<void>> TaskGroup::join() { return join_group(state_); }

const std::vector<Error>& TaskGroup::errors() const { return state_->errors; }
std::size_t TaskGroup::running() const { return state_->running; }
bool TaskGroup::cancelling() const { return state_->cancelled; }

// Checks cancellation by hand (throw_if_cancelled(false)) so that after the caller's
// cancellation it can still wait for the children to finish.
asio::awaitable<Result<void>> TaskGroup::join_group(std::shared_ptr<State> state) {
  if (state->joining) co_return Error{Errc::invalid, "task group: join() is already being awaited"};
  state->joining = true;
  const bool caller_throws_if_cancelled = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  while (state->running > 0) {
    const auto cancel_state = co_await asio::this_coro::cancellation_state;
    if (cancel_state.cancelled() != asio::cancellation_type::none) {
      state->cancel(Error{Errc::cancelled, "task group: join() was cancelled by its caller"});
      if (state->running == 0) break;  // the cancelled children may all have ended inline
    }
    // Woken by the last child's end (wakeup.cancel()) or by the caller's cancellation.
    boost::system::error_code ec;
    state->wakeup.expires_at(asio::steady_timer::time_point::max());
    co_await state->wakeup.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  state->joining = false;
  state->closed = true;
  co_await asio::this_coro::throw_if_cancelled(caller_throws_if_cancelled);
  if (state->outcome) co_return *state->outcome;
  co_return ok_result();
}

}  // namespace agentrt
