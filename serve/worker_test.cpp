// serve::Worker on the memory store with in-process fakes: it runs every runnable session to
// quiescence, never more than max_active at once nor more than an org's quota, leaves the
// rest waiting in the store (backpressure), releases every lease, and on cancel_all stops
// running sessions without losing them.
#include "serve/worker.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "backends/memory/memory_lease_store.hpp"
#include "backends/memory/memory_session_store.hpp"
#include "core/ports/conformance/session_store_fixture.hpp"
#include "core/definition/definition_loader.hpp"
#include "core/runtime/new_session.hpp"
#include "serve/metrics/metered_lease_store.hpp"
#include "serve/metrics/testing/exposition.hpp"

namespace agentrt::serve {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using std::chrono::milliseconds;
using conformance::run_awaitable;

class TestClock final : public Clock {
 public:
  std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  std::chrono::steady_clock::time_point monotonic() const override { return std::chrono::steady_clock::now(); }
};

// One `work` tool call per turn, then an answer: decided from the conversation, so any
// number of sessions can share it.
class OneCallLlm final : public LlmProvider {
 public:
  asio::awaitable<Result<LlmReply>> complete(LlmRequest request, TokenSink) override {
    LlmReply reply;
    if (request.messages.back().value("role", "") == "tool") {
      reply.content = "done";
      reply.finish_reason = "stop";
    } else {
      reply.tool_calls.push_back(LlmToolCall{"c1", "work", "{}"});
      reply.finish_reason = "tool_calls";
    }
    co_return reply;
  }
};

// Takes `delay` per call and records how many calls of each org run at once.
class SlowTools final : public ToolRunner {
 public:
  explicit SlowTools(std::map<std::string, std::string> org_of_session) : org_of_(std::move(org_of_session)) {}

  asio::awaitable<Result<ToolResult>> run(ToolInvocation invocation) override {
    const auto session = invocation.idempotency_key.substr(0, invocation.idempotency_key.rfind(':'));
    const auto org = org_of_.at(session);
    ++in_flight;
    ++in_flight_by_org[org];
    max_in_flight = std::max(max_in_flight, in_flight);
    max_by_org[org] = std::max(max_by_org[org], in_flight_by_org[org]);
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    --in_flight;
    --in_flight_by_org[org];
    if (ec) co_return Error{Errc::cancelled, "work cancelled"};
    ++completed;
    co_return ToolResult{true, "worked", 1};
  }

  milliseconds delay{50};
  int in_flight = 0;
  int max_in_flight = 0;
  int completed = 0;
  std::map<std::string, int> in_flight_by_org;
  std::map<std::string, int> max_by_org;

 private:
  std::map<std::string, std::string> org_of_;
};

class FixedAdapters final : public SessionAdapters {
 public:
  FixedAdapters(LlmProvider& llm, ToolRunner& tools) : llm_(llm), tools_(tools) {}
  LlmProvider& llm() override { return llm_; }
  ToolRunner& http_tools() override { return tools_; }
  ToolRunner& command_tools() override { return tools_; }
  [[nodiscard]] const std::string& api_key() const override { return key_; }

 private:
  LlmProvider& llm_;
  ToolRunner& tools_;
  std::string key_;
};

// A real definition (parsed, with its canonical form and hash) as the store pins it; its
// model and tool URLs are never called: the test's adapters answer instead.
AgentDefinition work_definition() {
  constexpr std::string_view kYaml = R"(
name: worker-test
version: 1
model: {provider: openai, name: fake, base_url: "http://127.0.0.1:1/v1"}
system: test
tools:
  - name: work
    description: does work
    parameters: {type: object}
    http: {method: POST, url: "http://127.0.0.1:1/work"}
)";
  auto parsed = parse_definition(kYaml, "worker-test.yaml", std::filesystem::temp_directory_path());
  EXPECT_TRUE(parsed.ok()) << parsed.error().to_string();
  return parsed.ok() ? *parsed : AgentDefinition{};
}

// Forwards to the memory lease store and counts the dispatcher's searches for work.
class CountingLeases final : public LeaseStore {
 public:
  explicit CountingLeases(LeaseStore& inner) : inner_(inner) {}
  asio::awaitable<Result<Lease>> acquire(SessionId session, std::string owner, milliseconds ttl,
                                         std::int64_t now_ms) override {
    return inner_.acquire(std::move(session), std::move(owner), ttl, now_ms);
  }
  asio::awaitable<Result<Lease>> renew(SessionId session, std::string owner, LeaseEpoch epoch, milliseconds ttl,
                                       std::int64_t now_ms) override {
    return inner_.renew(std::move(session), std::move(owner), epoch, ttl, now_ms);
  }
  asio::awaitable<Result<void>> release(SessionId session, std::string owner, LeaseEpoch epoch) override {
    return inner_.release(std::move(session), std::move(owner), epoch);
  }
  asio::awaitable<Result<Lease>> take_over(SessionId session, std::string owner, milliseconds ttl,
                                           std::int64_t now_ms) override {
    return inner_.take_over(std::move(session), std::move(owner), ttl, now_ms);
  }
  asio::awaitable<Result<Lease>> get(SessionId session) override { return inner_.get(std::move(session)); }
  asio::awaitable<Result<std::vector<RunnableSession>>> find_runnable(std::int64_t now_ms, std::size_t limit) override {
    ++searches;
    return inner_.find_runnable(now_ms, limit);
  }
  int searches = 0;

 private:
  LeaseStore& inner_;
};

class WorkerTest : public ::testing::Test {
 protected:
  // Creates `count` sessions of `org`, each with one pending message.
  void create(const std::string& org, int count) {
    for (int i = 0; i < count; ++i) {
      const SessionId id{org + "-s" + std::to_string(i)};
      auto created = new_session(id, OrgId{org}, BotId{"bot"}, definition_, clock_.wall_ms());
      auto stored = run_awaitable(store_->create_session(created.record, definition_.canonical, created.first_events));
      ASSERT_TRUE(stored.ok()) << stored.error().to_string();
      auto queued = run_awaitable(store_->enqueue(id, InboxMessage{MessageId{"m1"}, "go", clock_.wall_ms()}));
      ASSERT_TRUE(queued.ok()) << queued.error().to_string();
      org_of_[id.str()] = org;
    }
  }

  std::unique_ptr<Worker> make_worker(WorkerOptions options, LeaseStore* leases = nullptr) {
    tools_ = std::make_unique<SlowTools>(org_of_);
    WorkerPorts ports{store_.get(), leases != nullptr ? leases : leases_.get(), &clock_, [this](AgentDefinition&) {
                        return Result<std::unique_ptr<SessionAdapters>>(std::make_unique<FixedAdapters>(llm_, *tools_));
                      }};
    return std::make_unique<Worker>(io_.get_executor(), std::move(ports), std::move(options));
  }

  // Runs the worker until every session is idle (or 10 s), then drains it.
  void run_until_all_idle(Worker& worker) {
    bool finished = false;
    asio::co_spawn(io_, worker.run(), [&](std::exception_ptr) { finished = true; });
    asio::steady_timer check(io_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::function<void(boost::system::error_code)> poll = [&](boost::system::error_code) {
      if (all_idle() || std::chrono::steady_clock::now() > deadline) {
        worker.stop_claiming();
        return;
      }
      check.expires_after(milliseconds(20));
      check.async_wait(poll);
    };
    check.expires_after(milliseconds(20));
    check.async_wait(poll);
    io_.run_for(std::chrono::seconds(15));
    EXPECT_TRUE(finished) << "the worker's run() returned after the drain";
  }

  bool all_idle() {
    for (const auto& [id, org] : org_of_) {
      auto record = run_awaitable(store_->get_session(SessionId{id}));
      if (!record.ok() || record->status != SessionStatus::idle || record->last_seq.value < 8) return false;
    }
    return true;
  }

  std::string lease_owner(const std::string& id) {
    auto lease = run_awaitable(leases_->get(SessionId{id}));
    EXPECT_TRUE(lease.ok());
    return lease.ok() ? lease->owner : "?";
  }

  asio::io_context io_;
  TestClock clock_;
  AgentDefinition definition_ = work_definition();
  std::unique_ptr<MemorySessionStore> store_ = make_memory_session_store();
  std::unique_ptr<LeaseStore> leases_ = make_memory_lease_store(*store_);
  OneCallLlm llm_;
  std::unique_ptr<SlowTools> tools_;
  std::map<std::string, std::string> org_of_;
};

TEST_F(WorkerTest, RunsEverySessionWithinTheWorkerBoundAndTheOrgQuota) {
  create("acme", 8);
  create("globex", 8);
  WorkerOptions options{"w-1", LeaseTiming{milliseconds(2000), milliseconds(500)}, 4, {{"acme", 1}}, milliseconds(10)};
  auto worker = make_worker(options);
  run_until_all_idle(*worker);

  EXPECT_TRUE(all_idle());
  EXPECT_EQ(tools_->completed, 16);
  EXPECT_LE(tools_->max_in_flight, 4) << "max_active";
  EXPECT_GE(tools_->max_in_flight, 2) << "sessions did run concurrently";
  EXPECT_EQ(tools_->max_by_org["acme"], 1) << "acme's quota";
  EXPECT_EQ(worker->stats().activations, 16U);
  EXPECT_EQ(worker->stats().quiescent, 16U);
  EXPECT_EQ(worker->active(), 0U);
  for (const auto& [id, org] : org_of_) EXPECT_EQ(lease_owner(id), "") << id << ": lease released when quiescent";
}

// A slot freed soon after a search is filled from what that search found beyond the free
// slots, not by searching the store again.
TEST_F(WorkerTest, FreedSlotsTakeTheLastSearchsSurplusInsteadOfSearchingAgain) {
  create("acme", 12);
  CountingLeases leases(*leases_);
  // A poll interval far longer than the run: every search after the first comes from a freed slot.
  WorkerOptions options{"w-1", LeaseTiming{milliseconds(2000), milliseconds(500)}, 2, {}, milliseconds(60'000)};
  auto worker = make_worker(options, &leases);
  tools_->delay = milliseconds(0);
  run_until_all_idle(*worker);
  EXPECT_TRUE(all_idle());
  EXPECT_EQ(tools_->completed, 12);
  EXPECT_LE(tools_->max_in_flight, 2);
  // 12 sessions through 2 slots free a slot 12 times; without the surplus each was a search.
  EXPECT_LE(leases.searches, 6) << "freed slots searched the store instead of taking the surplus";
  EXPECT_GE(leases.searches, 1);

}

TEST_F(WorkerTest, OverTheBoundWorkWaitsInTheStoreNotInTheWorker) {
  create("acme", 6);
  tools_ = nullptr;
  WorkerOptions options{"w-1", LeaseTiming{milliseconds(2000), milliseconds(500)}, 2, {}, milliseconds(10)};
  auto worker = make_worker(options);
  tools_->delay = milliseconds(300);
  asio::co_spawn(io_, worker->run(), asio::detached);
  io_.run_for(milliseconds(150));
  EXPECT_EQ(worker->active(), 2U);
  auto runnable = run_awaitable(leases_->find_runnable(clock_.wall_ms(), 100));
  ASSERT_TRUE(runnable.ok());
  EXPECT_EQ(runnable->size(), 4U) << "the other four wait, unclaimed, in the store";
  worker->stop_claiming();
  io_.run_for(std::chrono::seconds(5));
  EXPECT_EQ(worker->active(), 0U);
  EXPECT_EQ(tools_->completed, 2) << "a drain lets running sessions finish and claims nothing more";
}

TEST_F(WorkerTest, CancelAllStopsRunningSessionsReleasesTheirLeasesAndLosesNothing) {
  create("acme", 3);
  WorkerOptions options{"w-1", LeaseTiming{milliseconds(2000), milliseconds(500)}, 8, {}, milliseconds(10)};
  auto worker = make_worker(options);
  tools_->delay = milliseconds(10'000);
  bool finished = false;
  asio::co_spawn(io_, worker->run(), [&](std::exception_ptr) { finished = true; });
  io_.run_for(milliseconds(150));
  ASSERT_EQ(tools_->in_flight, 3);
  worker->stop_claiming();
  worker->cancel_all();
  io_.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(finished);
  EXPECT_EQ(worker->stats().cancelled, 3U);
  for (const auto& [id, org] : org_of_) {
    EXPECT_EQ(lease_owner(id), "") << id;
    auto record = run_awaitable(store_->get_session(SessionId{id}));
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->status, SessionStatus::running) << id << ": mid-turn, to be resumed by the next owner";
  }
  auto runnable = run_awaitable(leases_->find_runnable(clock_.wall_ms(), 100));
  ASSERT_TRUE(runnable.ok());
  EXPECT_EQ(runnable->size(), 3U) << "interrupted sessions are runnable again at once";
}

TEST_F(WorkerTest, ASessionThatCannotRunIsRetriedWithBackoffNotInALoop) {
  SessionRecord broken;
  broken.id = SessionId{"broken-1"};
  broken.org = OrgId{"acme"};
  broken.bot = BotId{"bot"};
  broken.definition_hash = "hash-of-nothing-readable";
  broken.created_ms = broken.updated_ms = clock_.wall_ms();
  auto stored = run_awaitable(store_->create_session(
      broken, json{{"name", "not a canonical definition"}},
      {Event{EventSeq{1}, EventType::SessionStarted, broken.created_ms, json::object()}}));
  ASSERT_TRUE(stored.ok()) << stored.error().to_string();
  ASSERT_TRUE(run_awaitable(store_->enqueue(broken.id, InboxMessage{MessageId{"m1"}, "go", clock_.wall_ms()})).ok());
  create("acme", 2);
  WorkerOptions options{"w-1", LeaseTiming{milliseconds(2000), milliseconds(500)}, 4, {}, milliseconds(10)};
  auto worker = make_worker(options);
  asio::co_spawn(io_, worker->run(), asio::detached);
  io_.run_for(milliseconds(1'500));
  worker->stop_claiming();
  io_.run_for(std::chrono::seconds(2));
  EXPECT_GE(worker->stats().failed, 1U);
  EXPECT_LE(worker->stats().failed, 2U) << "1 s backoff after the first failure, then 2 s";
  EXPECT_EQ(tools_->completed, 2) << "the healthy sessions ran";
  EXPECT_EQ(lease_owner("broken-1"), "") << "its lease was released";
}

TEST_F(WorkerTest, MetricsCountLeasesActivationsStepsAndTheInboxLag) {
  create("acme", 3);
  ServeMetrics metrics;
  MeteredLeaseStore metered(*leases_, metrics);
  tools_ = std::make_unique<SlowTools>(org_of_);
  tools_->delay = milliseconds(150);  // a few heartbeats per tool call
  WorkerPorts ports{store_.get(), &metered, &clock_,
                    [this](AgentDefinition&) {
                      return Result<std::unique_ptr<SessionAdapters>>(std::make_unique<FixedAdapters>(llm_, *tools_));
                    },
                    nullptr, nullptr, &metrics};
  Worker worker(io_.get_executor(), std::move(ports),
                WorkerOptions{"w-1", LeaseTiming{milliseconds(400), milliseconds(50)}, 8, {}, milliseconds(10)});
  run_until_all_idle(worker);
  ASSERT_TRUE(all_idle());

  using serve::testing::sample;
  const auto text = metrics.scrape();
  EXPECT_EQ(sample(text, "agentrt_lease_acquisitions_total", {{"outcome", "acquired"}, {"reason", "inbox"}}), 3) << text;
  EXPECT_EQ(sample(text, "agentrt_activations_total", {{"outcome", "quiescent"}}), 3);
  EXPECT_EQ(sample(text, "agentrt_worker_active_sessions", {{"org", "acme"}}), 0) << "every activation ended";
  EXPECT_GE(sample(text, "agentrt_lease_renewals_total", {{"outcome", "ok"}}).value_or(0), 3);
  EXPECT_EQ(sample(text, "agentrt_tool_calls_total", {{"tool", "work"}, {"outcome", "ok"}, {"org", "acme"}, {"bot", "bot"}}), 3);
  EXPECT_EQ(sample(text, "agentrt_llm_calls_total", {{"model", "fake"}, {"outcome", "ok"}}), 6);
  EXPECT_EQ(sample(text, "agentrt_llm_call_duration_seconds_count", {{"model", "fake"}}), 6);
  EXPECT_EQ(sample(text, "agentrt_tool_call_duration_seconds_count", {{"tool", "work"}}), 3);
  EXPECT_GE(*sample(text, "agentrt_tool_call_duration_seconds_sum", {{"tool", "work"}}), 0.45);
  EXPECT_EQ(sample(text, "agentrt_step_overhead_seconds_count"), 6) << "LLM result to tool, tool result to LLM";
  EXPECT_EQ(sample(text, "agentrt_inbox_lag_seconds_count"), 3);
}

}  // namespace
}  // namespace agentrt::serve
