#include "core/runtime/task_group.hpp"

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// GCC 12 reports a false -Wnull-dereference inside Asio's io_context executor comparison
// once co_spawn is inlined; the header is Boost's, so silence it for these includes only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#pragma GCC diagnostic pop
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/runtime/task_group_test_support.hpp"

namespace agentrt {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)
using ::testing::UnorderedElementsAre;
using namespace task_group_testing;  // NOLINT(google-build-using-namespace)

TEST(TaskGroup, AllChildrenSucceedAndJoinWaitsForTheSlowest) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  std::array<Probe, 3> probes;
  ASSERT_TRUE(group.spawn("fast", sleep_child(5ms, &probes[0])));
  ASSERT_TRUE(group.spawn("slowest", sleep_child(60ms, &probes[1])));
  ASSERT_TRUE(group.spawn("middle", sleep_child(20ms, &probes[2])));
  EXPECT_EQ(group.running(), 3U);
  JoinProbe join;
  start_join(io.get_executor(), group, join);
  run_bounded(io);

  ASSERT_EQ(join.completions, 1);
  ASSERT_TRUE(join.result.has_value());
  EXPECT_TRUE(join.result->ok());
  EXPECT_TRUE(group.errors().empty());
  EXPECT_EQ(group.running(), 0U);
  for (const auto& probe : probes) {
    ASSERT_TRUE(probe.ended_at.has_value());
    EXPECT_FALSE(probe.cancelled);
    EXPECT_LE(*probe.ended_at, *join.at);
  }
}

TEST(TaskGroup, JoinOfAnEmptyGroupReturnsAtOnceAndClosesIt) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  JoinProbe join;
  start_join(io.get_executor(), group, join);
  run_bounded(io);
  ASSERT_EQ(join.completions, 1);
  EXPECT_TRUE(join.result->ok());

  Probe probe;
  auto refused = group.spawn("too-late", sleep_child(1ms, &probe));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_FALSE(probe.started);
}

TEST(TaskGroup, FailureCancelsASiblingBlockedInARead) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  asio::ip::tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  asio::ip::tcp::socket server = acceptor.accept();

  TaskGroup group(io.get_executor());
  Probe reader;
  Probe throwing_reader;
  Probe heartbeat;
  boost::system::error_code read_error;
  ASSERT_TRUE(group.spawn("inbox", reading_child(&server, &reader, &read_error)));
  ASSERT_TRUE(group.spawn("publisher", throwing_reading_child(&client, &throwing_reader)));
  ASSERT_TRUE(group.spawn("heartbeat", failing_child(10ms, Errc::fenced, "lease lost", &heartbeat)));
  JoinProbe join;
  start_join(io.get_executor(), group, join);
  run_bounded(io);

  ASSERT_EQ(join.completions, 1);
  expect_error(join.result, Errc::fenced, "heartbeat: lease lost");
  ASSERT_EQ(group.errors().size(), 1U);
  EXPECT_EQ(group.errors()[0].message, "heartbeat: lease lost");
  EXPECT_EQ(read_error, asio::error::operation_aborted);
  EXPECT_TRUE(reader.cancelled);
  EXPECT_TRUE(throwing_reader.cancelled);
  ASSERT_TRUE(reader.ended_at && throwing_reader.ended_at && heartbeat.ended_at);
  EXPECT_GE(*reader.ended_at, *heartbeat.ended_at);
  EXPECT_LE(*reader.ended_at, *join.at);
  EXPECT_LE(*throwing_reader.ended_at, *join.at);
}

TEST(TaskGroup, TwoFailuresAtTheSameTimeAreBothCollected) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  Probe a;
  Probe b;
  Probe sleeper;
  ASSERT_TRUE(group.spawn("a", failing_child(10ms, Errc::conflict, "seq taken", &a)));
  ASSERT_TRUE(group.spawn("b", failing_child(10ms, Errc::invalid, "bad input", &b)));
  ASSERT_TRUE(group.spawn("sleeper", sleep_child(kForever, &sleeper)));
  JoinProbe join;
  start_join(io.get_executor(), group, join);
  run_bounded(io);

  ASSERT_EQ(join.completions, 1);
  ASSERT_EQ(group.errors().size(), 2U);
  std::vector<std::string> messages;
  for (const auto& e : group.errors()) messages.push_back(e.message);
  EXPECT_THAT(messages, UnorderedElementsAre("a: seq taken", "b: bad input"));
  expect_error(join.result, group.errors()[0].code, group.errors()[0].message);
  EXPECT_TRUE(sleeper.cancelled);
}

TEST(TaskGroup, CancelDuringCancelCompletesJoinOnce) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  asio::cancellation_signal parent;
  Probe failer;
  Probe late;
  Probe sleeper;
  std::optional<Clock::time_point> cleanup_started_at;
  bool cleanup_interrupted = true;
  // Once "late" starts its cleanup the group is cancelling after the failure; the parent's
  // cancellation and two explicit cancels arrive on top of it (posted: not from inside the child).
  bool interrupted_while_cancelling = false;
  late.on_cancelled = [&] {
    asio::post(io, [&] {
      interrupted_while_cancelling = group.cancelling() && group.running() > 0;
      parent.emit(asio::cancellation_type::terminal);
      group.cancel(Error{Errc::cancelled, "drain"});
      group.cancel(Error{Errc::cancelled, "drain again"});
      parent.emit(asio::cancellation_type::terminal);
    });
  };
  ASSERT_TRUE(group.spawn("orchestrator", failing_child(10ms, Errc::fatal, "store corrupt", &failer)));
  ASSERT_TRUE(group.spawn("late", late_child(60ms, Cleanup::unshielded, &late, &cleanup_started_at, &cleanup_interrupted)));
  ASSERT_TRUE(group.spawn("sleeper", sleep_child(kForever, &sleeper)));
  JoinProbe join;
  start_join(io.get_executor(), group, join, parent.slot());
  run_bounded(io);

  EXPECT_TRUE(interrupted_while_cancelling);
  ASSERT_EQ(join.completions, 1);
  EXPECT_FALSE(join.threw);
  expect_error(join.result, Errc::fatal, "orchestrator: store corrupt");
  ASSERT_EQ(group.errors().size(), 1U);
  EXPECT_TRUE(late.cancelled);
  EXPECT_TRUE(sleeper.cancelled);
  // Each child is cancelled once: the later cancels must not cut the cleanup short.
  EXPECT_FALSE(cleanup_interrupted);
  ASSERT_TRUE(late.ended_at && cleanup_started_at);
  EXPECT_GE(*late.ended_at - *cleanup_started_at, 60ms);
  EXPECT_LE(*late.ended_at, *join.at);
}

TEST(TaskGroup, JoinWaitsForAChildThatFinishesLate) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  Probe failer;
  Probe late;
  std::optional<Clock::time_point> cleanup_started_at;
  bool cleanup_interrupted = true;
  ASSERT_TRUE(group.spawn("late", late_child(50ms, Cleanup::shielded, &late, &cleanup_started_at, &cleanup_interrupted)));
  ASSERT_TRUE(group.spawn("heartbeat", failing_child(5ms, Errc::fenced, "lease lost", &failer)));
  JoinProbe join;
  start_join(io.get_executor(), group, join);
  run_bounded(io);

  ASSERT_EQ(join.completions, 1);
  expect_error(join.result, Errc::fenced, "heartbeat: lease lost");
  EXPECT_EQ(group.errors().size(), 1U);  // its Errc::cancelled after the group's cancel is no failure
  ASSERT_TRUE(cleanup_started_at && late.ended_at && failer.ended_at);
  EXPECT_TRUE(late.cancelled);
  EXPECT_FALSE(cleanup_interrupted);
  EXPECT_GE(*cleanup_started_at, *failer.ended_at);
  EXPECT_GE(*late.ended_at - *cleanup_started_at, 50ms);
  EXPECT_LE(*late.ended_at, *join.at);
}

// The caller awaits join() inside its own coroutine (as a session activation does), and that
// coroutine is cancelled from outside.
asio::awaitable<void> await_join(TaskGroup* group, JoinProbe* probe, bool* throw_if_cancelled_after) {
  auto result = co_await group->join();
  *throw_if_cancelled_after = co_await asio::this_coro::throw_if_cancelled();
  ++probe->completions;
  probe->result = std::move(result);
  probe->at = Clock::now();
}

TEST(TaskGroup, ParentCancellationReachesEveryChildAndJoinStillWaits) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  Probe sleeper;
  Probe thrower;
  Probe late;
  std::optional<Clock::time_point> cleanup_started_at;
  bool cleanup_interrupted = true;
  ASSERT_TRUE(group.spawn("sleeper", sleep_child(kForever, &sleeper)));
  ASSERT_TRUE(group.spawn("thrower", throwing_sleep_child(kForever, &thrower)));
  ASSERT_TRUE(group.spawn("late", late_child(30ms, Cleanup::unshielded, &late, &cleanup_started_at, &cleanup_interrupted)));

  asio::cancellation_signal parent;
  JoinProbe join;
  bool throw_if_cancelled_after = false;
  bool parent_threw = false;
  asio::co_spawn(io, await_join(&group, &join, &throw_if_cancelled_after),
                 asio::bind_cancellation_slot(parent.slot(), [&](std::exception_ptr e) { parent_threw = (e != nullptr); }));
  asio::steady_timer interrupt(io, 10ms);
  interrupt.async_wait([&](boost::system::error_code) { parent.emit(asio::cancellation_type::terminal); });
  const auto started = Clock::now();
  run_bounded(io);

  EXPECT_FALSE(parent_threw);
  ASSERT_EQ(join.completions, 1);
  expect_error(join.result, Errc::cancelled, "task group: join() was cancelled by its caller");
  EXPECT_TRUE(group.errors().empty());
  EXPECT_TRUE(sleeper.cancelled);
  EXPECT_TRUE(thrower.cancelled);
  EXPECT_TRUE(late.cancelled);
  EXPECT_FALSE(cleanup_interrupted);
  ASSERT_TRUE(late.ended_at.has_value());
  EXPECT_LE(*late.ended_at, *join.at);
  EXPECT_LT(*join.at - started, 2s);
  EXPECT_TRUE(throw_if_cancelled_after) << "join() must give the caller its throw_if_cancelled back";
}

// A caller that was cancelled before it reached join() (with throw_if_cancelled(false), as a
// cleanup path is): join() sees the cancellation at once and still waits.
asio::awaitable<void> cancelled_then_join(TaskGroup* group, JoinProbe* probe) {
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer work(co_await asio::this_coro::executor, kForever);
  boost::system::error_code ec;
  co_await work.async_wait(asio::redirect_error(asio::use_awaitable, ec));  // cancelled here
  auto result = co_await group->join();
  ++probe->completions;
  probe->result = std::move(result);
  probe->at = Clock::now();
}

TEST(TaskGroup, CallerCancelledBeforeJoinStillWaitsForTheChildren) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  Probe sleeper;
  Probe late;
  std::optional<Clock::time_point> cleanup_started_at;
  bool cleanup_interrupted = true;
  ASSERT_TRUE(group.spawn("sleeper", sleep_child(kForever, &sleeper)));
  ASSERT_TRUE(group.spawn("late", late_child(20ms, Cleanup::unshielded, &late, &cleanup_started_at, &cleanup_interrupted)));
  asio::cancellation_signal parent;
  JoinProbe join;
  bool parent_threw = true;
  asio::co_spawn(io, cancelled_then_join(&group, &join),
                 asio::bind_cancellation_slot(parent.slot(), [&](std::exception_ptr e) { parent_threw = (e != nullptr); }));
  asio::post(io, [&] { parent.emit(asio::cancellation_type::terminal); });
  run_bounded(io);

  EXPECT_FALSE(parent_threw);
  ASSERT_EQ(join.completions, 1);
  expect_error(join.result, Errc::cancelled, "task group: join() was cancelled by its caller");
  EXPECT_TRUE(sleeper.cancelled);
  EXPECT_TRUE(late.cancelled);
  EXPECT_FALSE(cleanup_interrupted);
  ASSERT_TRUE(late.ended_at.has_value());
  EXPECT_LE(*late.ended_at, *join.at);
}

// A deadline raced against join() (a drain's grace period): the deadline wins, join() is
// cancelled, and the race still ends only after every child has.
asio::awaitable<void> join_or_deadline(TaskGroup* group, std::chrono::milliseconds grace, std::size_t* winner,
                                       std::size_t* running_after) {
  using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)
  asio::steady_timer deadline(co_await asio::this_coro::executor, grace);
  auto first = co_await (group->join() || deadline.async_wait(asio::use_awaitable));
  *winner = first.index();
  *running_after = group->running();
}

TEST(TaskGroup, JoinRacedAgainstADeadlineStillWaitsForEveryChild) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  Probe sleeper;
  Probe late;
  std::optional<Clock::time_point> cleanup_started_at;
  bool cleanup_interrupted = true;
  ASSERT_TRUE(group.spawn("sleeper", sleep_child(kForever, &sleeper)));
  ASSERT_TRUE(group.spawn("late", late_child(30ms, Cleanup::unshielded, &late, &cleanup_started_at, &cleanup_interrupted)));
  std::size_t winner = 99;
  std::size_t running_after = 99;
  bool race_threw = true;
  asio::co_spawn(io, join_or_deadline(&group, 10ms, &winner, &running_after),
                 [&](std::exception_ptr e) { race_threw = (e != nullptr); });
  run_bounded(io);

  EXPECT_FALSE(race_threw);

  EXPECT_EQ(winner, 1U);
  EXPECT_EQ(running_after, 0U);
  EXPECT_TRUE(sleeper.cancelled);
  EXPECT_TRUE(late.cancelled);
  EXPECT_FALSE(cleanup_interrupted);
  EXPECT_TRUE(late.ended_at.has_value());
}

TEST(TaskGroup, ExceptionInAChildBecomesAnErrorWithItsName) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  Probe sleeper;
  Probe parser;
  ASSERT_TRUE(group.spawn("sleeper", sleep_child(kForever, &sleeper)));
  ASSERT_TRUE(group.spawn("parser", throwing_child(&parser)));
  JoinProbe join;
  start_join(io.get_executor(), group, join);
  run_bounded(io);

  ASSERT_EQ(join.completions, 1);
  expect_error(join.result, Errc::fatal, "parser: bad json at byte 3");
  ASSERT_EQ(group.errors().size(), 1U);
  EXPECT_TRUE(sleeper.cancelled);
}

TEST(TaskGroup, ChildSpawnsAChildAndJoinWaitsForIt) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  Probe parent;
  Probe grandchild;
  std::optional<Result<void>> spawned;
  ASSERT_TRUE(group.spawn("parent", spawning_child(&group, sleep_child(40ms, &grandchild), 1ms, &parent, &spawned)));
  JoinProbe join;
  start_join(io.get_executor(), group, join);
  run_bounded(io);

  ASSERT_TRUE(spawned.has_value());
  EXPECT_TRUE(spawned->ok());
  ASSERT_EQ(join.completions, 1);
  EXPECT_TRUE(join.result->ok());
  ASSERT_TRUE(parent.ended_at && grandchild.ended_at);
  EXPECT_LT(*parent.ended_at, *grandchild.ended_at);
  EXPECT_LE(*grandchild.ended_at, *join.at);
  EXPECT_FALSE(grandchild.cancelled);
}

TEST(TaskGroup, FailingGrandchildCancelsTheChildThatSpawnedIt) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  Probe parent;
  Probe grandchild;
  std::optional<Result<void>> spawned;
  ASSERT_TRUE(group.spawn("parent", spawning_child(&group, failing_child(5ms, Errc::invalid, "no such tool", &grandchild),
                                                   kForever, &parent, &spawned)));
  JoinProbe join;
  start_join(io.get_executor(), group, join);
  run_bounded(io);

  ASSERT_EQ(join.completions, 1);
  expect_error(join.result, Errc::invalid, "grandchild: no such tool");
  EXPECT_TRUE(parent.cancelled);
  EXPECT_EQ(group.errors().size(), 1U);
}

TEST(TaskGroup, SpawnAfterCancelOrFailureDoesNotStartTheChild) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  Probe sleeper;
  ASSERT_TRUE(group.spawn("sleeper", sleep_child(kForever, &sleeper)));
  group.cancel(Error{Errc::cancelled, "worker draining"});
  Probe refused_probe;
  auto refused = group.spawn("orchestrator", sleep_child(1ms, &refused_probe));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::cancelled);
  EXPECT_THAT(refused.error().message, ::testing::HasSubstr("worker draining"));
  JoinProbe join;
  start_join(io.get_executor(), group, join);
  run_bounded(io);

  EXPECT_FALSE(refused_probe.started);
  EXPECT_TRUE(sleeper.cancelled);
  ASSERT_EQ(join.completions, 1);
  expect_error(join.result, Errc::cancelled, "worker draining");  // the reason, not a failure
  EXPECT_TRUE(group.errors().empty());
}

TEST(TaskGroup, ChildReportingCancelledOnItsOwnIsAFailure) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  Probe heartbeat;
  Probe orchestrator;
  ASSERT_TRUE(group.spawn("heartbeat", failing_child(5ms, Errc::cancelled, "stopped", &heartbeat)));
  ASSERT_TRUE(group.spawn("orchestrator", sleep_child(kForever, &orchestrator)));
  JoinProbe join;
  start_join(io.get_executor(), group, join);
  run_bounded(io);

  ASSERT_EQ(join.completions, 1);
  expect_error(join.result, Errc::cancelled, "heartbeat: stopped");
  EXPECT_EQ(group.errors().size(), 1U);
  EXPECT_TRUE(orchestrator.cancelled);
}

TEST(TaskGroup, SecondConcurrentJoinIsRefusedAndAFinishedJoinRepeatsItsOutcome) {
  asio::io_context io;
  TaskGroup group(io.get_executor());
  Probe failer;
  ASSERT_TRUE(group.spawn("failer", failing_child(5ms, Errc::conflict, "taken", &failer)));
  JoinProbe first;
  JoinProbe second;
  start_join(io.get_executor(), group, first);
  start_join(io.get_executor(), group, second);
  run_bounded(io);
  ASSERT_EQ(first.completions, 1);
  expect_error(first.result, Errc::conflict, "failer: taken");
  ASSERT_EQ(second.completions, 1);
  expect_error(second.result, Errc::invalid, "task group: join() is already being awaited");

  io.restart();
  JoinProbe again;
  start_join(io.get_executor(), group, again);
  run_bounded(io);
  ASSERT_EQ(again.completions, 1);
  expect_error(again.result, Errc::conflict, "failer: taken");
}

TEST(TaskGroup, ChildrenOnAStrandOfAMultiThreadedContext) {
  asio::io_context io(2);
  auto strand = asio::make_strand(io);
  TaskGroup group(strand);
  std::array<Probe, 4> probes;
  // Spawned from the strand, as every call must be.
  asio::post(strand, [&] {
    EXPECT_TRUE(group.spawn("a", sleep_child(kForever, &probes[0])));
    EXPECT_TRUE(group.spawn("b", sleep_child(kForever, &probes[1])));
    EXPECT_TRUE(group.spawn("c", throwing_sleep_child(kForever, &probes[2])));
    EXPECT_TRUE(group.spawn("d", failing_child(10ms, Errc::fenced, "lease lost", &probes[3])));
  });
  JoinProbe join;
  start_join(strand, group, join);
  std::thread helper([&] { io.run_for(kRunLimit); });
  io.run_for(kRunLimit);
  helper.join();

  ASSERT_EQ(join.completions, 1);
  expect_error(join.result, Errc::fenced, "d: lease lost");
  EXPECT_EQ(group.errors().size(), 1U);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(probes[i].cancelled) << i;
}

TEST(TaskGroup, DestroyedInJoinsCompletionHandler) {
  asio::io_context io;
  auto group = std::make_unique<TaskGroup>(io.get_executor());
  std::array<Probe, 2> probes;
  ASSERT_TRUE(group->spawn("a", sleep_child(5ms, &probes[0])));
  ASSERT_TRUE(group->spawn("b", sleep_child(10ms, &probes[1])));
  bool joined = false;
  asio::co_spawn(io, group->join(), [&](std::exception_ptr, Result<void> result) {
    joined = result.ok();
    group.reset();  // its state is still referenced by work posted by the last child: must stay valid
  });
  run_bounded(io);
  EXPECT_TRUE(joined);
  EXPECT_EQ(group, nullptr);
}

TEST(TaskGroup, DestroyedBeforeJoinCancelsItsChildren) {
  asio::io_context io;
  auto group = std::make_unique<TaskGroup>(io.get_executor());
  std::array<Probe, 2> probes;
  ASSERT_TRUE(group->spawn("a", sleep_child(kForever, &probes[0])));
  ASSERT_TRUE(group->spawn("b", throwing_sleep_child(kForever, &probes[1])));
  io.poll();  // runs both until they suspend in their waits
  ASSERT_TRUE(probes[0].started && probes[1].started);
  group.reset();
  const auto destroyed = Clock::now();
  io.restart();
  run_bounded(io);
  EXPECT_TRUE(probes[0].cancelled);
  EXPECT_TRUE(probes[1].cancelled);
  EXPECT_LT(Clock::now() - destroyed, 2s);
}

TEST(TaskGroup, IoContextDestroyedWithChildrenStillPending) {
  std::array<Probe, 2> probes;
  std::optional<Clock::time_point> cleanup_started_at;  // outlive the children's frames
  bool cleanup_interrupted = false;
  {
    asio::io_context io;
    TaskGroup group(io.get_executor());
    ASSERT_TRUE(group.spawn("a", sleep_child(kForever, &probes[0])));
    ASSERT_TRUE(group.spawn("b", late_child(kForever, Cleanup::unshielded, &probes[1], &cleanup_started_at,
                                            &cleanup_interrupted)));
    JoinProbe join;
    start_join(io.get_executor(), group, join);
    io.poll();
    EXPECT_EQ(join.completions, 0);
  }  // the group, then the io_context with the children's frames: valgrind checks nothing leaks
  EXPECT_TRUE(probes[0].started && probes[1].started);
  EXPECT_FALSE(probes[0].cancelled);
}

}  // namespace
}  // namespace agentrt
