#pragma once
// TaskGroup: structured concurrency for Asio coroutines, with the semantics of Python's
// asyncio.TaskGroup. It backs a session activation (lease heartbeat, inbox poller,
// orchestrator, output publisher): a failed heartbeat must stop the orchestrator at once, and
// the lease may be released only after every child has really stopped.
//
// - Children run concurrently on the group's executor; spawn() starts one now (it may run up
//   to its first suspension inside spawn()). A running child may spawn more children.
// - Fail-fast: the first child to fail cancels every sibling (terminal cancellation, emitted
//   once per child, so cleanup a child runs after it, with throw_if_cancelled(false), is not
//   interrupted by a second cancel).
// - join() returns only after every child has finished, including children spawned while it
//   waits and children that are slow to honour cancellation: nothing outlives the group.
// - Cancellation of the coroutine awaiting join() (its cancellation slot fires) cancels every
//   child, and join() still waits for all of them.
// - Errors are collected, not lost: errors() holds every failure in order, join() returns the
//   first failure, or the cancel() reason that came before any failure, or ok.
//
// What counts as a failure of a child named N:
// - it returns an Error: recorded as "N: <message>" with its code preserved;
// - it throws: Errc::fatal "N: <what()>" (a bug; logged);
// - it reports Errc::cancelled (or throws operation_aborted) although the group did not
//   cancel it: a heartbeat that stops on its own must stop its siblings too.
// After the group cancelled its children, their Errc::cancelled / operation_aborted is the
// expected answer, not a failure; any other error a child returns then is still recorded.
// A cancelled child should therefore report Errc::cancelled, not a translated I/O error.
//
// Threading: every member function, and the coroutine awaiting join(), must run on the
// group's executor (a single-threaded io_context, or a strand); the group has no lock.
// Lifetime: destroy the group after join() returned. Destroying it earlier cancels the
// running children but cannot wait for them: they finish in the background, so whatever
// they reference must outlive them (the group's own state is shared with them and is freed
// by the last one, or when the io_context is destroyed).

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/model/error.hpp"

namespace agentrt {

class TaskGroup {
 public:
  explicit TaskGroup(boost::asio::any_io_executor executor);
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Starts `child` now. Refused without starting it (the awaitable is destroyed unrun):
  // Errc::cancelled once the group has been cancelled or a child failed; Errc::invalid once
  // join() has returned (the group is closed, as asyncio's is after its `async with`).
  Result<void> spawn(std::string name, boost::asio::awaitable<Result<void>> child);

  // Cancels every running child (terminal) and refuses new ones. Idempotent: only the first
  // call emits and records its reason; later calls, also while cancelling, do nothing.
  void cancel(Error reason);

  // Waits until every child has finished. Returns ok if none failed, else the first failure
  // or the earlier cancel() reason (a cancelled caller gives Errc::cancelled). One awaiter at
  // a time (a second concurrent join() returns Errc::invalid); once it returned, join() again
  // returns the same outcome at once. Safe to await after the group object is destroyed.
  // It restores the caller's throw_if_cancelled on return. Asio throws operation_aborted at
  // `co_await join()` itself, before join() runs, if the caller is already cancelled and
  // throws if cancelled: a caller that may be, sets throw_if_cancelled(false) first.
  boost::asio::awaitable<Result<void>> join();

  // Every child failure, in the order they happened (not cancel() reasons).
  [[nodiscard]] const std::vector<Error>& errors() const;
  // Children started and not yet finished.
  [[nodiscard]] std::size_t running() const;
  // True once cancel() was called or a child failed.
  [[nodiscard]] bool cancelling() const;

 private:
  struct State;
  // A static coroutine holding the state, not a member one holding `this`: it stays valid if
  // the group is destroyed while a caller awaits it.
  static boost::asio::awaitable<Result<void>> join_group(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;  // shared with every running child and with join()
};

}  // namespace agentrt
