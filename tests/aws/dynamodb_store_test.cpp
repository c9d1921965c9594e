// The DynamoDB SessionStore and LeaseStore against Amazon DynamoDB Local, started by
// tests/aws/with_aws_peers.sh (which exports AGENTRT_TEST_DYNAMODB_ENDPOINT). Without it every
// test FAILS (never skips). Each test gets a fresh table with a unique name.
//   - the SessionStore, LeaseStore and KvStore conformance suites (core/ports/conformance);
//   - what is specific to DynamoDB: large items split into parts, the 100-item transaction
//     limit, create-tables idempotence and the schema version check, callers cancelled
//     while their operation ends on the connection's thread.

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "backends/dynamodb/dynamodb_schema.hpp"
#include "backends/dynamodb/dynamodb_session_store.hpp"
#include "core/ports/conformance/kv_store_conformance.hpp"
#include "core/ports/conformance/lease_store_conformance.hpp"
#include "core/ports/conformance/session_store_conformance.hpp"
#include "core/runtime/with_timeout.hpp"

namespace agentrt {
namespace {

using conformance::KvStoreConformance;
using conformance::LeaseStoreConformance;
using conformance::LeaseStoreRunnable;
using conformance::run_awaitable;
using conformance::SessionStoreConformance;
using ::testing::HasSubstr;
using json = nlohmann::json;

std::string endpoint() {
  const char* value = std::getenv("AGENTRT_TEST_DYNAMODB_ENDPOINT");
  return value != nullptr ? value : "";
}

std::string unique_table() {
  static std::atomic<int> counter{0};
  return "agentrt-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1'000'000'000) + "-" +
         std::to_string(counter++);
}

DynamoDbOptions local_options(const std::string& table) {
  DynamoDbOptions options;
  options.table = table;
  options.region = "us-east-1";
  options.endpoint = endpoint();
  options.static_credentials = AwsCredentials{"AKIDLOCAL", "local-secret", "", std::nullopt, "test"};
  options.client.retry.attempts = 3;
  options.client.retry.base_delay = std::chrono::milliseconds{10};
  return options;
}

AwsEnvLookup no_env() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

// A store on a new table (created with create-tables' code), or nullptr after a failure.
std::unique_ptr<DynamoDbSessionStore> fresh_store(std::string table = unique_table()) {
  if (endpoint().empty()) {
    ADD_FAILURE() << "AGENTRT_TEST_DYNAMODB_ENDPOINT is not set: run this test through tests/aws/with_aws_peers.sh "
                     "(ctest -L aws does), which starts DynamoDB Local";
    return nullptr;
  }
  auto unchecked = local_options(table);
  unchecked.check_schema = false;
  auto connection = DynamoDbConnection::open(unchecked, no_env());
  if (!connection) {
    ADD_FAILURE() << connection.error().to_string();
    return nullptr;
  }
  auto& db = **connection;
  auto created = db.run_blocking<dynamodb::TableCreation>(
      [&db] { return dynamodb::create_table(db, std::chrono::milliseconds{30'000}); });
  if (!created) {
    ADD_FAILURE() << created.error().to_string();
    return nullptr;
  }
  auto store = open_dynamodb_session_store(local_options(table), no_env());
  if (!store) {
    ADD_FAILURE() << store.error().to_string();
    return nullptr;
  }
  return std::move(store.value());
}

conformance::LeaseStoreBackend dynamodb_lease_backend() {
  return conformance::LeaseStoreBackend{"DynamoDbLocal", [] {
                                          auto store = fresh_store();
                                          if (!store) return conformance::LeaseStoreUnderTest{};
                                          auto leases = store->lease_store();
                                          return conformance::LeaseStoreUnderTest{std::move(store), std::move(leases)};
                                        }};
}

INSTANTIATE_TEST_SUITE_P(DynamoDbLocal, SessionStoreConformance,
                         ::testing::Values(conformance::SessionStoreBackend{
                             "DynamoDbLocal", []() -> std::unique_ptr<SessionStore> { return fresh_store(); }}),
                         conformance::session_store_backend_name);
INSTANTIATE_TEST_SUITE_P(DynamoDbLocal, LeaseStoreConformance, ::testing::Values(dynamodb_lease_backend()),
                         conformance::lease_store_backend_name);
INSTANTIATE_TEST_SUITE_P(DynamoDbLocal, LeaseStoreRunnable, ::testing::Values(dynamodb_lease_backend()),
                         conformance::lease_store_backend_name);
INSTANTIATE_TEST_SUITE_P(DynamoDbLocal, KvStoreConformance,
                         ::testing::Values(conformance::KvStoreBackend{"DynamoDbLocal",
                                                                       [] {
                                                                         auto store = fresh_store();
                                                                         if (!store) return conformance::KvStoreUnderTest{};
                                                                         auto kv = store->kv_store();
                                                                         return conformance::KvStoreUnderTest{std::move(store),
                                                                                                              std::move(kv)};
                                                                       }}),
                         conformance::kv_store_backend_name);

// --- what is specific to DynamoDB ----------------------------------------------------------

class DynamoDbStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = fresh_store(table_);
    ASSERT_NE(store_, nullptr);
    SessionRecord r;
    r.id = SessionId{"s-1"};
    r.org = OrgId{"org-1"};
    r.bot = BotId{"bot-1"};
    r.definition_hash = "hash-1";
    r.created_ms = r.updated_ms = 1'000;
    auto created = run_awaitable(store_->create_session(r, json{{"name", "bot-1"}},
                                                        {Event{EventSeq{1}, EventType::SessionStarted, 1'000, {}}}));
    ASSERT_TRUE(created.ok()) << created.error().to_string();
    auto epoch = run_awaitable(store_->claim(SessionId{"s-1"}));
    ASSERT_TRUE(epoch.ok()) << epoch.error().to_string();
    epoch_ = *epoch;
  }

  Result<void> append(std::vector<Event> events, std::optional<Checkpoint> checkpoint = std::nullopt) {
    AppendRequest request;
    request.session = SessionId{"s-1"};
    request.epoch = epoch_;
    request.events = std::move(events);
    request.checkpoint = std::move(checkpoint);
    return run_awaitable(store_->append(std::move(request)));
  }

  std::vector<Event> read(std::int64_t after = 0, std::size_t limit = 1000) {
    auto events = run_awaitable(store_->read_events(SessionId{"s-1"}, EventSeq{after}, limit));
    EXPECT_TRUE(events.ok()) << events.error().to_string();
    return events.ok() ? *events : std::vector<Event>{};
  }

  // About `bytes` of JSON text with multi-byte characters, so part boundaries fall inside them.
  static json big(std::size_t bytes, char tag) {
    std::string text;
    while (text.size() < bytes) text += std::string("\xC3\xA9t\xC3\xA9 ") + tag;  // "été x"
    return json{{"text", text}, {"tag", std::string(1, tag)}};
  }

  std::string table_ = unique_table();
  std::unique_ptr<DynamoDbSessionStore> store_;
  LeaseEpoch epoch_;
};

TEST_F(DynamoDbStoreTest, AOneMegabyteEventIsSplitIntoPartsAndReadBackWhole) {
  const json data = big(1024 * 1024, 'a');
  ASSERT_TRUE(append({Event{EventSeq{2}, EventType::OutputEmitted, 2'000, data},
                      Event{EventSeq{3}, EventType::OutputEmitted, 2'001, {{"text", "small"}}}})
                  .ok());
  const auto history = read();
  ASSERT_EQ(history.size(), 3U);
  EXPECT_EQ(history[1].seq, EventSeq{2});
  EXPECT_EQ(history[1].data, data) << "reassembled byte for byte";
  EXPECT_EQ(history[2].data, (json{{"text", "small"}}));
  // Paging stops at whole events: the parts of event 2 never leak into a page.
  const auto page = read(1, 1);
  ASSERT_EQ(page.size(), 1U);
  EXPECT_EQ(page[0].data, data);
  const auto after = read(2, 5);
  ASSERT_EQ(after.size(), 1U);
  EXPECT_EQ(after[0].seq, EventSeq{3});
}

TEST_F(DynamoDbStoreTest, ALargeCheckpointIsSplitAndASmallerOneReplacesIt) {
  ASSERT_TRUE(append({Event{EventSeq{2}, EventType::OutputEmitted, 2'000, {}}}, Checkpoint{EventSeq{2}, big(800 * 1024, 'c')})
                  .ok());
  auto loaded = run_awaitable(store_->load_checkpoint(SessionId{"s-1"}));
  ASSERT_TRUE(loaded.ok() && loaded->has_value()) << (loaded.ok() ? "none" : loaded.error().to_string());
  EXPECT_EQ((*loaded)->state, big(800 * 1024, 'c'));
  ASSERT_TRUE(run_awaitable(store_->save_checkpoint(SessionId{"s-1"}, epoch_, Checkpoint{EventSeq{2}, {{"v", 2}}})).ok());
  loaded = run_awaitable(store_->load_checkpoint(SessionId{"s-1"}));
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->state, (json{{"v", 2}}));
}

TEST_F(DynamoDbStoreTest, AnAppendOverOneHundredItemsIsInvalidAndWritesNothing) {
  std::vector<Event> events;
  for (std::int64_t seq = 2; seq <= 101; ++seq) events.push_back(Event{EventSeq{seq}, EventType::OutputEmitted, seq, {}});
  auto refused = append(events);  // 100 events + the session item: 101 items
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_THAT(refused.error().message, HasSubstr("s-1"));
  EXPECT_THAT(refused.error().message, HasSubstr("at most 100 items"));
  EXPECT_EQ(read().size(), 1U);
  events.pop_back();  // 99 events + the session item: exactly 100
  ASSERT_TRUE(append(events).ok());
  EXPECT_EQ(read().size(), 100U);
}

TEST_F(DynamoDbStoreTest, AnAppendOverFourMegabytesIsInvalidAndWritesNothing) {
  std::vector<Event> events;
  for (std::int64_t seq = 2; seq <= 6; ++seq) events.push_back(Event{EventSeq{seq}, EventType::OutputEmitted, seq, big(900 * 1024, 'x')});
  auto refused = append(events);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_THAT(refused.error().message, HasSubstr("4 MB"));
  EXPECT_EQ(read().size(), 1U);
}

TEST_F(DynamoDbStoreTest, ResetMovesALargeEventToTheArchivedBranchWhole) {
  const json data = big(500 * 1024, 'r');
  ASSERT_TRUE(append({Event{EventSeq{2}, EventType::OutputEmitted, 2'000, {}},
                      Event{EventSeq{3}, EventType::OutputEmitted, 2'001, data}})
                  .ok());
  ResetRequest request{SessionId{"s-1"}, epoch_, EventSeq{1},
                       Event{EventSeq{2}, EventType::SessionReset, 3'000, {{"to_seq", 1}}}, SessionStatus::idle,
                       std::nullopt};
  auto branch = run_awaitable(store_->reset(request));
  ASSERT_TRUE(branch.ok()) << branch.error().to_string();
  const auto history = read();
  ASSERT_EQ(history.size(), 2U);
  EXPECT_EQ(history[1].type, EventType::SessionReset);
  auto branches = run_awaitable(store_->read_archived_branches(SessionId{"s-1"}));
  ASSERT_TRUE(branches.ok()) << branches.error().to_string();
  ASSERT_EQ(branches->size(), 1U);
  ASSERT_EQ(branches->front().events.size(), 2U);
  EXPECT_EQ(branches->front().events[1].data, data);
}

TEST_F(DynamoDbStoreTest, CreateTablesIsIdempotentAndOpenChecksTheSchemaVersion) {
  auto unchecked = local_options(table_);
  unchecked.check_schema = false;
  auto connection = DynamoDbConnection::open(unchecked, no_env());
  ASSERT_TRUE(connection.ok()) << connection.error().to_string();
  auto& db = **connection;
  auto again = db.run_blocking<dynamodb::TableCreation>(
      [&db] { return dynamodb::create_table(db, std::chrono::milliseconds{30'000}); });
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(*again, dynamodb::TableCreation::existed);
  EXPECT_EQ(run_awaitable(store_->get_session(SessionId{"s-1"}))->last_seq, EventSeq{1}) << "data kept";

  // Another version: opening refuses, naming both versions.
  auto bumped = db.run_blocking<void>([&db]() -> boost::asio::awaitable<Result<void>> {
    json put{{"TableName", db.table()},
             {"Item", {{"pk", {{"S", "SCHEMA"}}}, {"sk", {{"S", "VERSION"}}}, {"version", {{"N", "99"}}}}}};
    auto written = co_await db.call("PutItem", std::move(put));
    if (!written.ok()) co_return written.error();
    co_return ok_result();
  });
  ASSERT_TRUE(bumped.ok()) << bumped.error().to_string();
  auto refused = open_dynamodb_session_store(local_options(table_), no_env());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::invalid);
  EXPECT_THAT(refused.error().message, HasSubstr("schema version 99 found, version 1 expected"));
  EXPECT_THAT(refused.error().message, HasSubstr(table_));

  auto missing = open_dynamodb_session_store(local_options("agentrt-no-such-table"), no_env());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_THAT(missing.error().message, HasSubstr("agentrt admin create-tables"));
}

// The connection runs operations on its own thread; a caller cancelled while its operation
// ends there (a timeout, a session's task group failing) once crashed serve (a cancellation
// forwarded through a freed slot). Many callers with timeouts around the operation's length:
// each gets the answer or its timeout, and the store still answers afterwards.
TEST_F(DynamoDbStoreTest, CallersCancelledWhileTheirOperationEndsGetAnAnswerOrTheirTimeout) {
  boost::asio::io_context ctx;
  constexpr int kCallers = 300;
  int answered = 0;
  int timed_out = 0;
  for (int i = 0; i < kCallers; ++i) {
    boost::asio::co_spawn(
        ctx,
        [&, i]() -> boost::asio::awaitable<void> {
          const std::chrono::milliseconds timeout{i % 12};
          auto read = store_->get_session(SessionId{"s-1"});
          auto got = co_await with_timeout(std::move(read), timeout, "get_session");
          if (got.ok()) {
            ++answered;
          } else if (got.error().code == Errc::timeout) {
            ++timed_out;
          }
        },
        boost::asio::detached);
  }
  ctx.run();
  EXPECT_EQ(answered + timed_out, kCallers);
  EXPECT_GT(timed_out, 0);
  EXPECT_EQ(run_awaitable(store_->get_session(SessionId{"s-1"}))->last_seq, EventSeq{1});
}

}  // namespace
}  // namespace agentrt
