#pragma once
// The SessionStore conformance suite: the contract of core/ports/session_store.hpp as tests,
// run against every adapter so none can skip fencing, dedup or ordering (STYLE.md 19).
// Header-only (core/ports has no library). Include it in exactly one test file of a backend
// and instantiate it there:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, SessionStoreConformance,
//       ::testing::Values(SessionStoreBackend{"Sqlite", [] { return make_store_on_temp_file(); }}),
//       session_store_backend_name);
//
// The factory is called once per test and must return a new, empty store.

#include <map>
#include <tuple>

#include <boost/asio/detached.hpp>

#include "core/ports/conformance/session_store_fixture.hpp"

namespace agentrt::conformance {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// --- sessions ------------------------------------------------------------------------------

TEST_P(SessionStoreConformance, CreateThenGetReturnsTheRecord) {
  auto r = record("s-1", "org-1", "bot-1", 1'234);
  r.status = SessionStatus::running;
  create(r);
  const auto got = get("s-1");
  EXPECT_EQ(got.id, r.id);
  EXPECT_EQ(got.org, r.org);
  EXPECT_EQ(got.bot, r.bot);
  EXPECT_EQ(got.definition_hash, r.definition_hash);
  EXPECT_EQ(got.status, SessionStatus::running);
  EXPECT_EQ(got.last_seq, EventSeq{1});  // the first events count
  EXPECT_EQ(got.epoch, LeaseEpoch{0});
  EXPECT_EQ(got.created_ms, 1'234);
  EXPECT_FALSE(got.wake_at_ms.has_value());
  const auto history = read("s-1");
  ASSERT_EQ(history.size(), 1U);
  EXPECT_EQ(history[0].type, EventType::SessionStarted);
  EXPECT_EQ(history[0].data, event(1).data);
}

TEST_P(SessionStoreConformance, CreateWithExistingIdIsConflictAndChangesNothing) {
  create(record("s-1", "org-1"));
  auto again = run_awaitable(store().create_session(record("s-1", "org-2"), definition("other"), events(1, 3)));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::conflict);
  EXPECT_THAT(again.error().message, HasSubstr("s-1"));
  EXPECT_EQ(get("s-1").org, OrgId{"org-1"});
  EXPECT_THAT(seqs("s-1"), ElementsAre(1));
}

TEST_P(SessionStoreConformance, DefinitionIsStoredWithTheSessionAndReadableByHash) {
  create(record("s-1", "org-1", "bot-1"));
  create(record("s-2", "org-1", "bot-1"));  // same hash: stored once, still readable
  auto body = run_awaitable(store().get_definition("hash-bot-1"));
  ASSERT_TRUE(body.ok()) << body.error().to_string();
  EXPECT_EQ(*body, definition("bot-1"));
  auto missing = run_awaitable(store().get_definition("hash-unknown"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_P(SessionStoreConformance, UnknownSessionIsNotFoundEverywhere) {
  const SessionId ghost{"s-ghost"};
  auto expect_not_found = [](const auto& result, const char* method) {
    ASSERT_FALSE(result.ok()) << method;
    EXPECT_EQ(result.error().code, Errc::not_found) << method << ": " << result.error().to_string();
    EXPECT_THAT(result.error().message, HasSubstr("s-ghost")) << method;
  };
  expect_not_found(run_awaitable(store().get_session(ghost)), "get_session");
  expect_not_found(run_awaitable(store().claim(ghost)), "claim");
  expect_not_found(append("s-ghost", LeaseEpoch{0}, events(1, 1)), "append");
  expect_not_found(run_awaitable(store().read_events(ghost, EventSeq{0}, 10)), "read_events");
  expect_not_found(run_awaitable(store().save_checkpoint(ghost, LeaseEpoch{0}, Checkpoint{EventSeq{0}, {}})),
                   "save_checkpoint");
  expect_not_found(run_awaitable(store().load_checkpoint(ghost)), "load_checkpoint");
  expect_not_found(run_awaitable(store().enqueue(ghost, InboxMessage{MessageId{"m-1"}, "hi", 1})), "enqueue");
  expect_not_found(run_awaitable(store().pending_messages(ghost, 10)), "pending_messages");
}

TEST_P(SessionStoreConformance, ClaimIncrementsTheEpochEachTime) {
  create(record("s-1"));
  EXPECT_EQ(claim("s-1"), LeaseEpoch{1});
  EXPECT_EQ(claim("s-1"), LeaseEpoch{2});
  EXPECT_EQ(get("s-1").epoch, LeaseEpoch{2});
}

TEST_P(SessionStoreConformance, ListSessionsFiltersByOrgBotAndStatusNewestFirst) {
  create(record("s-a", "org-1", "bot-1", 1'000));
  create(record("s-b", "org-1", "bot-2", 2'000));
  create(record("s-c", "org-2", "bot-1", 3'000));
  create(record("s-d", "org-1", "bot-1", 4'000));
  const auto epoch = claim("s-d");
  ASSERT_TRUE(append("s-d", epoch, {event(2, EventType::SessionCompleted)}, {}, SessionStatus::completed).ok());

  EXPECT_THAT(list({}), ElementsAre("s-d", "s-c", "s-b", "s-a"));
  EXPECT_THAT(list(query("org-1", nullptr, std::nullopt)), ElementsAre("s-d", "s-b", "s-a"));
  EXPECT_THAT(list(query("org-1", "bot-1", std::nullopt)), ElementsAre("s-d", "s-a"));
  EXPECT_THAT(list(query(nullptr, "bot-1", std::nullopt)), ElementsAre("s-d", "s-c", "s-a"));
  EXPECT_THAT(list(query(nullptr, nullptr, SessionStatus::completed)), ElementsAre("s-d"));
  EXPECT_THAT(list(query("org-1", nullptr, SessionStatus::idle)), ElementsAre("s-b", "s-a"));
  EXPECT_THAT(list(query("org-3", nullptr, std::nullopt)), IsEmpty());
  EXPECT_THAT(list(query(nullptr, nullptr, std::nullopt, 2)), ElementsAre("s-d", "s-c"));
}

TEST_P(SessionStoreConformance, CountSessionsGroupsByOrgBotAndStatus) {
  create(record("s-a", "org-1", "bot-1", 1'000));
  create(record("s-b", "org-1", "bot-1", 2'000));
  create(record("s-c", "org-2", "bot-1", 3'000));
  const auto epoch = claim("s-b");
  ASSERT_TRUE(append("s-b", epoch, {event(2, EventType::SessionCompleted)}, {}, SessionStatus::completed).ok());
  auto counts = run_awaitable(store().count_sessions());
  ASSERT_TRUE(counts.ok()) << counts.error().to_string();
  std::map<std::tuple<std::string, std::string, SessionStatus>, std::int64_t> by_key;
  for (const auto& c : *counts) by_key[{c.org.str(), c.bot.str(), c.status}] += c.count;
  const std::map<std::tuple<std::string, std::string, SessionStatus>, std::int64_t> expected{
      {{"org-1", "bot-1", SessionStatus::idle}, 1},
      {{"org-1", "bot-1", SessionStatus::completed}, 1},
      {{"org-2", "bot-1", SessionStatus::idle}, 1}};
  EXPECT_EQ(by_key, expected);
}

TEST_P(SessionStoreConformance, ListSessionsFiltersByLastEventOlderThan) {
  create(record("s-a", "org-1", "bot-1", 1'000));  // updated_ms 1'000
  create(record("s-b", "org-1", "bot-1", 2'000));
  create(record("s-c", "org-1", "bot-1", 3'000));
  const auto epoch = claim("s-a");
  ASSERT_TRUE(append("s-a", epoch, {event(2)}).ok());  // updated_ms becomes the event's 10'002

  auto before = [](std::int64_t ms, std::size_t limit = 100) {
    SessionQuery q;
    q.updated_before_ms = ms;
    q.limit = limit;
    return q;
  };
  EXPECT_THAT(list(before(3'000)), ElementsAre("s-b"));
  EXPECT_THAT(list(before(3'001)), ElementsAre("s-c", "s-b"));
  EXPECT_THAT(list(before(20'000)), ElementsAre("s-c", "s-b", "s-a"));
  EXPECT_THAT(list(before(20'000, 1)), ElementsAre("s-c"));  // the filter applies before the limit
  EXPECT_THAT(list(before(1'000)), IsEmpty());
}

// --- append --------------------------------------------------------------------------------

TEST_P(SessionStoreConformance, AppendContiguousEventsReadsBackInOrder) {
  create(record("s-1"));
  const auto epoch = claim("s-1");
  ASSERT_TRUE(append("s-1", epoch, events(2, 4)).ok());
  ASSERT_TRUE(append("s-1", epoch, events(5, 6)).ok());
  const auto history = read("s-1");
  ASSERT_EQ(history.size(), 6U);
  for (std::size_t i = 1; i < history.size(); ++i) {
    const auto expected = event(static_cast<std::int64_t>(i) + 1);
    EXPECT_EQ(history[i].seq, expected.seq);
    EXPECT_EQ(history[i].type, expected.type);
    EXPECT_EQ(history[i].time_ms, expected.time_ms);
    EXPECT_EQ(history[i].data, expected.data);
  }
  EXPECT_THAT(seqs("s-1", 3, 2), ElementsAre(4, 5));  // after and limit
  EXPECT_THAT(seqs("s-1", 6), IsEmpty());
  EXPECT_EQ(get("s-1").last_seq, EventSeq{6});
}

TEST_P(SessionStoreConformance, AppendWithGapIsConflictAndWritesNothing) {
  create(record("s-1"));
  const auto epoch = claim("s-1");
  auto gap = append("s-1", epoch, events(3, 4));
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error().code, Errc::conflict);
  EXPECT_THAT(gap.error().message, HasSubstr("s-1"));

  auto holes = append("s-1", epoch, {event(2), event(4)});  // not contiguous inside the batch
  ASSERT_FALSE(holes.ok());
  EXPECT_EQ(holes.error().code, Errc::conflict);

  auto again = append("s-1", epoch, events(1, 2));  // seq 1 is taken
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::conflict);

  EXPECT_THAT(seqs("s-1"), ElementsAre(1));
  EXPECT_EQ(get("s-1").last_seq, EventSeq{1});
  EXPECT_TRUE(append("s-1", epoch, events(2, 2)).ok());  // the store is still usable
}

TEST_P(SessionStoreConformance, AppendWithStaleEpochIsFenced) {
  create(record("s-1"));
  ASSERT_TRUE(enqueue("s-1", "m-1", 1));
  const auto old_epoch = claim("s-1");
  const auto new_epoch = claim("s-1");
  ASSERT_GT(new_epoch, old_epoch);

  auto stale =
      append("s-1", old_epoch, {event(2, EventType::MessageReceived)}, {MessageId{"m-1"}}, SessionStatus::running);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::fenced);
  EXPECT_THAT(stale.error().message, HasSubstr("s-1"));
  EXPECT_THAT(seqs("s-1"), ElementsAre(1));  // nothing written
  EXPECT_EQ(get("s-1").status, SessionStatus::idle);
  EXPECT_THAT(pending("s-1"), ElementsAre("m-1"));

  auto future = append("s-1", LeaseEpoch{new_epoch.value + 1}, events(2, 2));  // never claimed
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.error().code, Errc::fenced);

  ASSERT_TRUE(append("s-1", new_epoch, {event(2, EventType::MessageReceived)}, {MessageId{"m-1"}}).ok());
  EXPECT_THAT(seqs("s-1"), ElementsAre(1, 2));
}

TEST_P(SessionStoreConformance, AppendIsAllOrNothing) {
  create(record("s-1"));
  ASSERT_TRUE(enqueue("s-1", "m-1", 1));
  const auto epoch = claim("s-1");
  // The second consumed id is unknown: the events, the status and m-1 must all stay as they were.
  auto failed =
      append("s-1", epoch, events(2, 3), {MessageId{"m-1"}, MessageId{"m-unknown"}}, SessionStatus::sleeping, 99'000);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::conflict);
  EXPECT_THAT(failed.error().message, HasSubstr("m-unknown"));
  EXPECT_THAT(seqs("s-1"), ElementsAre(1));
  const auto after = get("s-1");
  EXPECT_EQ(after.last_seq, EventSeq{1});
  EXPECT_EQ(after.status, SessionStatus::idle);
  EXPECT_FALSE(after.wake_at_ms.has_value());
  EXPECT_THAT(pending("s-1"), ElementsAre("m-1"));
}

TEST_P(SessionStoreConformance, AppendUpdatesStatusAndWakeAt) {
  create(record("s-1"));
  const auto epoch = claim("s-1");
  ASSERT_TRUE(append("s-1", epoch, {event(2, EventType::TimerStarted)}, {}, SessionStatus::sleeping, 50'000).ok());
  auto sleeping = get("s-1");
  EXPECT_EQ(sleeping.status, SessionStatus::sleeping);
  EXPECT_EQ(sleeping.wake_at_ms, std::optional<std::int64_t>{50'000});
  EXPECT_EQ(sleeping.last_seq, EventSeq{2});
  EXPECT_THAT(list(query(nullptr, nullptr, SessionStatus::sleeping)), ElementsAre("s-1"));

  ASSERT_TRUE(append("s-1", epoch, {event(3, EventType::TimerFired)}, {}, SessionStatus::running).ok());
  auto running = get("s-1");
  EXPECT_EQ(running.status, SessionStatus::running);
  EXPECT_FALSE(running.wake_at_ms.has_value());  // cleared by an append without wake_at_ms

  ASSERT_TRUE(append("s-1", epoch, events(4, 4)).ok());  // no status: unchanged
  EXPECT_EQ(get("s-1").status, SessionStatus::running);
  EXPECT_THAT(list(query(nullptr, nullptr, SessionStatus::sleeping)), IsEmpty());
}

TEST_P(SessionStoreConformance, ConcurrentAppendsToManySessionsAllCommit) {
  constexpr int kSessions = 20;
  constexpr int kAppendsEach = 5;
  for (int s = 0; s < kSessions; ++s) create(record("s-" + std::to_string(s)));
  boost::asio::io_context ctx;
  int failures = 0;
  for (int s = 0; s < kSessions; ++s) {
    boost::asio::co_spawn(
        ctx,
        [this, s, &failures]() -> boost::asio::awaitable<void> {
          const SessionId id{"s-" + std::to_string(s)};
          auto epoch = co_await store().claim(id);
          if (!epoch.ok()) {
            ++failures;
            co_return;
          }
          for (int i = 0; i < kAppendsEach; ++i) {
            AppendRequest request{id, *epoch, {event(i + 2)}, SessionStatus::running, std::nullopt, {}};
            if (!(co_await store().append(std::move(request))).ok()) ++failures;
          }
        },
        boost::asio::detached);
  }
  ctx.run();
  EXPECT_EQ(failures, 0);
  for (int s = 0; s < kSessions; ++s) {
    EXPECT_EQ(get("s-" + std::to_string(s)).last_seq, EventSeq{1 + kAppendsEach}) << "session " << s;
  }
}

// --- checkpoints ---------------------------------------------------------------------------

TEST_P(SessionStoreConformance, CheckpointSaveAndLoadKeepsTheLatest) {
  create(record("s-1"));
  auto none = run_awaitable(store().load_checkpoint(SessionId{"s-1"}));
  ASSERT_TRUE(none.ok()) << none.error().to_string();
  EXPECT_FALSE(none->has_value());

  const auto epoch = claim("s-1");
  ASSERT_TRUE(append("s-1", epoch, events(2, 5)).ok());
  const nlohmann::json state3{{"phase", "acting"}, {"step", 3}};
  const nlohmann::json state5{{"phase", "idle"}, {"step", 5}};
  ASSERT_TRUE(run_awaitable(store().save_checkpoint(SessionId{"s-1"}, epoch, Checkpoint{EventSeq{3}, state3})).ok());
  ASSERT_TRUE(run_awaitable(store().save_checkpoint(SessionId{"s-1"}, epoch, Checkpoint{EventSeq{5}, state5})).ok());
  auto latest = run_awaitable(store().load_checkpoint(SessionId{"s-1"}));
  ASSERT_TRUE(latest.ok()) << latest.error().to_string();
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->seq, EventSeq{5});
  EXPECT_EQ((*latest)->state, state5);
}

TEST_P(SessionStoreConformance, CheckpointWithStaleEpochIsFenced) {
  create(record("s-1"));
  const auto old_epoch = claim("s-1");
  const auto new_epoch = claim("s-1");
  ASSERT_TRUE(
      run_awaitable(store().save_checkpoint(SessionId{"s-1"}, new_epoch, Checkpoint{EventSeq{1}, {{"v", 1}}})).ok());
  auto stale = run_awaitable(store().save_checkpoint(SessionId{"s-1"}, old_epoch, Checkpoint{EventSeq{1}, {{"v", 0}}}));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::fenced);
  EXPECT_THAT(stale.error().message, HasSubstr("s-1"));
  auto kept = run_awaitable(store().load_checkpoint(SessionId{"s-1"}));
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->state, (nlohmann::json{{"v", 1}}));
}

TEST_P(SessionStoreConformance, ACheckpointRidesInTheAppendAllOrNothing) {
  create(record("s-1"));
  const auto epoch = claim("s-1");
  AppendRequest with_checkpoint;
  with_checkpoint.session = SessionId{"s-1"};
  with_checkpoint.epoch = epoch;
  with_checkpoint.events = events(2, 4);
  with_checkpoint.checkpoint = Checkpoint{EventSeq{4}, {{"step", 4}}};
  ASSERT_TRUE(run_awaitable(store().append(with_checkpoint)).ok());
  auto saved = run_awaitable(store().load_checkpoint(SessionId{"s-1"}));
  ASSERT_TRUE(saved.ok() && saved->has_value());
  EXPECT_EQ((*saved)->seq, EventSeq{4});
  EXPECT_EQ((*saved)->state, (nlohmann::json{{"step", 4}}));

  // A checkpoint past the appended events is refused, and so is the whole append.
  AppendRequest ahead = with_checkpoint;
  ahead.events = events(5, 5);
  ahead.checkpoint = Checkpoint{EventSeq{6}, {{"step", 6}}};
  auto refused = run_awaitable(store().append(ahead));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::invalid);
  auto record_after = run_awaitable(store().get_session(SessionId{"s-1"}));
  ASSERT_TRUE(record_after.ok());
  EXPECT_EQ(record_after->last_seq, EventSeq{4});

  // A fenced append writes neither its events nor its checkpoint.
  const auto newer = claim("s-1");
  (void)newer;
  AppendRequest stale = with_checkpoint;
  stale.events = events(5, 5);
  stale.checkpoint = Checkpoint{EventSeq{5}, {{"step", 5}}};
  auto fenced = run_awaitable(store().append(stale));
  ASSERT_FALSE(fenced.ok());
  EXPECT_EQ(fenced.error().code, Errc::fenced);
  auto kept = run_awaitable(store().load_checkpoint(SessionId{"s-1"}));
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->seq, EventSeq{4});
}

// --- inbox ---------------------------------------------------------------------------------

TEST_P(SessionStoreConformance, EnqueueDeduplicatesByMessageIdAlsoAfterConsumption) {
  create(record("s-1"));
  create(record("s-2"));
  EXPECT_TRUE(enqueue("s-1", "m-1", 1, "first"));
  EXPECT_FALSE(enqueue("s-1", "m-1", 2, "second"));  // duplicate: dropped
  auto messages = run_awaitable(store().pending_messages(SessionId{"s-1"}, 10));
  ASSERT_TRUE(messages.ok());
  ASSERT_EQ(messages->size(), 1U);
  EXPECT_EQ(messages->front().text, "first");
  EXPECT_EQ(messages->front().enqueued_ms, 1);

  EXPECT_TRUE(enqueue("s-2", "m-1", 1));  // dedup is per session

  const auto epoch = claim("s-1");
  ASSERT_TRUE(append("s-1", epoch, {event(2, EventType::MessageReceived)}, {MessageId{"m-1"}}).ok());
  EXPECT_FALSE(enqueue("s-1", "m-1", 3, "redelivered"));  // still a duplicate once consumed
  EXPECT_THAT(pending("s-1"), IsEmpty());
}

TEST_P(SessionStoreConformance, PendingMessagesExcludeConsumedOldestFirst) {
  create(record("s-1"));
  ASSERT_TRUE(enqueue("s-1", "m-1", 10));
  ASSERT_TRUE(enqueue("s-1", "m-2", 20));
  ASSERT_TRUE(enqueue("s-1", "m-3", 30));
  EXPECT_THAT(pending("s-1"), ElementsAre("m-1", "m-2", "m-3"));
  EXPECT_THAT(pending("s-1", 2), ElementsAre("m-1", "m-2"));
  const auto epoch = claim("s-1");
  ASSERT_TRUE(append("s-1", epoch, {event(2, EventType::MessageReceived)}, {MessageId{"m-2"}}).ok());
  EXPECT_THAT(pending("s-1"), ElementsAre("m-1", "m-3"));
}

TEST_P(SessionStoreConformance, ConsumedMessagesAreAppliedAtomicallyWithTheEvents) {
  create(record("s-1"));
  ASSERT_TRUE(enqueue("s-1", "m-1", 10));
  ASSERT_TRUE(enqueue("s-1", "m-2", 20));
  const auto epoch = claim("s-1");
  ASSERT_TRUE(append("s-1", epoch, {event(2, EventType::MessageReceived), event(3, EventType::MessageReceived)},
                     {MessageId{"m-1"}, MessageId{"m-2"}}, SessionStatus::running)
                  .ok());
  EXPECT_THAT(pending("s-1"), IsEmpty());
  EXPECT_THAT(seqs("s-1"), ElementsAre(1, 2, 3));

  // Consuming m-1 a second time is a conflict, and its events are not written.
  auto twice = append("s-1", epoch, {event(4, EventType::MessageReceived)}, {MessageId{"m-1"}});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, Errc::conflict);
  EXPECT_THAT(twice.error().message, HasSubstr("m-1"));
  EXPECT_THAT(seqs("s-1"), ElementsAre(1, 2, 3));
}

// --- reset (rewind with an archived branch) ------------------------------------------------

inline ResetRequest reset_request(const std::string& id, LeaseEpoch epoch, std::int64_t to_seq,
                                  SessionStatus status = SessionStatus::idle) {
  Event event{EventSeq{to_seq + 1}, EventType::SessionReset, 90'000,
              nlohmann::json{{"to_seq", to_seq}, {"by", "alice"}, {"reason", "bad tool output"}}};
  return ResetRequest{SessionId{id}, epoch, EventSeq{to_seq}, std::move(event), status, std::nullopt};
}

TEST_P(SessionStoreConformance, ResetArchivesTheTailAndAppendsTheResetEvent) {
  create(record("s-1"));
  const auto epoch = claim("s-1");
  ASSERT_TRUE(append("s-1", epoch, events(2, 5), {}, SessionStatus::failed).ok());
  ASSERT_TRUE(run_awaitable(store().save_checkpoint(SessionId{"s-1"}, epoch, Checkpoint{EventSeq{4}, {{"v", 4}}})).ok());

  auto branch = run_awaitable(store().reset(reset_request("s-1", epoch, 2, SessionStatus::running)));
  ASSERT_TRUE(branch.ok()) << branch.error().to_string();
  EXPECT_EQ(*branch, 1);
  const auto history = read("s-1");
  ASSERT_EQ(history.size(), 3U);
  EXPECT_EQ(history[1].data, event(2).data);
  EXPECT_EQ(history[2].seq, EventSeq{3});
  EXPECT_EQ(history[2].type, EventType::SessionReset);
  EXPECT_EQ(history[2].data.value("archived_branch", 0), 1);
  EXPECT_EQ(history[2].data.value("by", ""), "alice");
  const auto after = get("s-1");
  EXPECT_EQ(after.last_seq, EventSeq{3});
  EXPECT_EQ(after.status, SessionStatus::running);
  auto checkpoint = run_awaitable(store().load_checkpoint(SessionId{"s-1"}));
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_FALSE(checkpoint->has_value());  // it was past the reset point

  auto branches = run_awaitable(store().read_archived_branches(SessionId{"s-1"}));
  ASSERT_TRUE(branches.ok()) << branches.error().to_string();
  ASSERT_EQ(branches->size(), 1U);
  EXPECT_EQ(branches->front().branch, 1);
  std::vector<std::int64_t> archived;
  for (const auto& e : branches->front().events) archived.push_back(e.seq.value);
  EXPECT_THAT(archived, ElementsAre(3, 4, 5));
  EXPECT_EQ(branches->front().events[0].data, event(3).data);

  // The history continues after the reset, and a second reset makes branch 2.
  ASSERT_TRUE(append("s-1", epoch, events(4, 6)).ok());
  auto second = run_awaitable(store().reset(reset_request("s-1", epoch, 3)));
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  EXPECT_EQ(*second, 2);
  EXPECT_THAT(seqs("s-1"), ElementsAre(1, 2, 3, 4));
  branches = run_awaitable(store().read_archived_branches(SessionId{"s-1"}));
  ASSERT_TRUE(branches.ok());
  ASSERT_EQ(branches->size(), 2U);
  EXPECT_EQ(branches->back().branch, 2);
  EXPECT_EQ(branches->back().events.size(), 3U);
}

TEST_P(SessionStoreConformance, ResetRejectsBadPointsStaleEpochsAndUnknownSessions) {
  create(record("s-1"));
  const auto epoch = claim("s-1");
  ASSERT_TRUE(append("s-1", epoch, events(2, 4)).ok());
  for (const std::int64_t to : {0, 4, 9, -1}) {
    auto bad = run_awaitable(store().reset(reset_request("s-1", epoch, to)));
    ASSERT_FALSE(bad.ok()) << "to_seq " << to;
    EXPECT_EQ(bad.error().code, Errc::invalid) << bad.error().to_string();
    EXPECT_THAT(bad.error().message, HasSubstr("s-1"));
  }
  auto wrong_event = reset_request("s-1", epoch, 2);
  wrong_event.reset_event.seq = EventSeq{5};
  auto bad_seq = run_awaitable(store().reset(std::move(wrong_event)));
  ASSERT_FALSE(bad_seq.ok());
  EXPECT_EQ(bad_seq.error().code, Errc::invalid);

  const auto newer = claim("s-1");
  auto stale = run_awaitable(store().reset(reset_request("s-1", epoch, 2)));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::fenced);
  auto ghost = run_awaitable(store().reset(reset_request("s-ghost", newer, 2)));
  ASSERT_FALSE(ghost.ok());
  EXPECT_EQ(ghost.error().code, Errc::not_found);
  auto ghost_branches = run_awaitable(store().read_archived_branches(SessionId{"s-ghost"}));
  ASSERT_FALSE(ghost_branches.ok());
  EXPECT_EQ(ghost_branches.error().code, Errc::not_found);

  EXPECT_THAT(seqs("s-1"), ElementsAre(1, 2, 3, 4));  // nothing changed
  auto branches = run_awaitable(store().read_archived_branches(SessionId{"s-1"}));
  ASSERT_TRUE(branches.ok());
  EXPECT_THAT(*branches, IsEmpty());
}

}  // namespace agentrt::conformance
